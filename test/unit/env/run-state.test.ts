// Run state as values: what one run sets (env layers, interrupt, --hide/--show, events, runLocal slots) is not what
// another run, or the process run, sees. (Two runs on real hosts at once: test/e2e/library-runs.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunState, currentRun, processRun, runInContext, runInRun, runLocal, ROOT_SCOPE } from '../../../src/env/context.ts';
import { env, envStore } from '../../../src/env/env.ts';
import { interruptRun, isInterrupted } from '../../../src/ops/command/abort.ts';
import { events, type FabEvent } from '../../../src/report/events.ts';
import { isHidden, setRunLevels } from '../../../src/report/levels.ts';

describe('RunState', () => {
  it('runLocal gives each run its own value, made on first use', () => {
    const counter = runLocal(() => ({ n: 0 }));
    const a = new RunState();
    const b = new RunState();
    runInRun(a, () => counter().n++);
    runInRun(a, () => counter().n++);
    runInRun(b, () => counter().n++);
    assert.equal(counter(a).n, 2);
    assert.equal(counter(b).n, 1);
    assert.equal(counter(processRun).n, 0);
  });

  it('a context made inside a run belongs to it (a task started by the run)', () => {
    const a = new RunState();
    const seen = runInRun(a, () => runInContext({ host: undefined, hostEnv: {}, scope: ROOT_SCOPE, task: 't' }, currentRun));
    assert.equal(seen, a);
    assert.equal(currentRun(), processRun);
  });

  it('env layers and env writes are per run', () => {
    const a = new RunState();
    const b = new RunState();
    runInRun(a, () => {
      envStore.setLayer('cli', { color: 'blue' });
      env.written = 'a';
    });
    runInRun(b, () => envStore.setLayer('cli', { color: 'green' }));
    assert.deepEqual(runInRun(a, () => [env.color, env.written]), ['blue', 'a']);
    assert.deepEqual(runInRun(b, () => [env.color, env.written]), ['green', undefined]);
    assert.equal(env.color, undefined);
  });

  it('interrupting a run leaves the others running', async () => {
    const a = new RunState();
    const b = new RunState();
    await runInRun(a, () => interruptRun(0));
    assert.equal(runInRun(a, isInterrupted), true);
    assert.equal(runInRun(b, isInterrupted), false);
    assert.equal(isInterrupted(), false);
  });

  it('events go to the bus of the run they are emitted in', () => {
    const a = new RunState();
    const b = new RunState();
    const heard = { a: [] as FabEvent[], b: [] as FabEvent[], process: [] as FabEvent[] };
    const stops = [a.events.subscribe((e) => heard.a.push(e)), b.events.subscribe((e) => heard.b.push(e)), events.subscribe((e) => heard.process.push(e))];
    runInRun(a, () => events.emit({ kind: 'status', message: 'in a' }));
    runInRun(b, () => events.emit({ kind: 'status', message: 'in b' }));
    for (const stop of stops) stop();
    assert.deepEqual(heard.a.map((e) => (e as { message: string }).message), ['in a']);
    assert.deepEqual(heard.b.map((e) => (e as { message: string }).message), ['in b']);
    assert.deepEqual(heard.process, []);
  });

  it('--hide/--show levels are per run', () => {
    const a = new RunState();
    runInRun(a, () => setRunLevels(['stdout'], []));
    assert.equal(runInRun(a, () => isHidden('stdout')), true);
    assert.equal(isHidden('stdout'), false);
  });
});
