// The execution model against the real test bed, in process: execute() across hosts, Ctrl-C ending remote
// commands, dry runs that still connect, --skip-bad-hosts, and output attributed to the command's own task.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { env, execute, hide, run, sudo, task } from '../../src/index.ts';
import { resetRunState, runTask } from '../../src/exec/runner.ts';
import type { RegisteredTask } from '../../src/fabfile/registry.ts';
import { interruptRun, isInterrupted, liveProcessCount, resetInterrupt } from '../../src/ops/command/abort.ts';
import { events, type FabEvent } from '../../src/report/events.ts';
import { RunRecorder } from '../../src/report/record.ts';
import { processesMatching } from '../support/processes.ts';
import { closePoolAfter, onHost, useTestbed } from '../support/remote.ts';

closePoolAfter();
beforeEach(() => {
  resetInterrupt();
  resetRunState();
});

function registered(name: string, fn: () => unknown, options: RegisteredTask['options'] = {}): RegisteredTask {
  return { name, options, description: undefined, params: undefined, fn };
}

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('execute() from a task on web1 runs a task on web2 and direct, each over its own connection, and returns { host: value }', async () => {
  const tb = useTestbed();
  const whereAmI = task(async () => (await run('echo "$SSH_CONNECTION"')).stdout.trim().split(' ')[3]);
  const values = await onHost('web1', async () => {
    const result = await execute(whereAmI, { hosts: ['web2', 'direct'] });
    return { result, back: env.host };
  });
  assert.deepEqual(values.result, { web2: String(tb.hosts.web2.port), direct: String(tb.hosts.direct.port) });
  assert.equal(values.back, 'web1', 'the caller\'s host context is back after execute()');
});

test('the first Ctrl-C ends remote commands on every host at once: no remote process is left', async () => {
  useTestbed();
  const marker = `300.${process.pid}${Date.now() % 100000}`;
  const hang = registered('hang', () => run(`echo started; sleep ${marker}; echo after`), { parallel: true });
  const recorder = new RunRecorder();
  const stop = recorder.attach(events);
  const running = runTask(hang, { name: 'hang', args: { _: [] } }, { hosts: ['web1', 'direct'] });
  await waitFor(() => processesMatching(marker).filter((line) => /^\d+: sleep /.test(line)).length === 2 && liveProcessCount() === 2);
  const started = Date.now();
  await interruptRun();
  const outcomes = await running;
  stop();
  assert.ok(Date.now() - started < 5000, 'ended promptly');
  assert.ok(isInterrupted());
  assert.deepEqual(outcomes.map((outcome) => outcome.status), ['interrupted', 'interrupted']);
  assert.deepEqual(processesMatching(marker), [], 'the remote sleep and its shell are gone');
  assert.equal(recorder.exitCode(), 130);
  const [late] = await runTask(registered('late', () => run('echo too late')), { name: 'late', args: { _: [] } }, { hosts: ['web1'] });
  assert.equal(late!.status, 'skipped', 'no host starts after the interrupt');
  assert.match(late!.reason!, /interrupted/);
});

test('a dry run connects (so bad hosts fail as for real) but runs nothing, and returns Results marked dryRun', async () => {
  const tb = useTestbed({ dryRun: true });
  const target = join(tb.remoteDir, `dry-${process.pid}`);
  const results = await onHost('web2', async () => [await run(`touch ${target}`), await sudo(`touch ${target}`)]);
  assert.ok(results.every((result) => result.dryRun && result.ok && result.stdout === ''));
  assert.equal(existsSync(target), false, 'nothing ran');
  await assert.rejects(onHost('fabtest@127.0.0.1:1', () => run('true')), (error: unknown) => (error as { code?: string }).code === 'CONNECT_FAILED');
});

test('--skip-bad-hosts skips a host that refuses connections; the other hosts run', async () => {
  useTestbed({ skipBadHosts: true, connectionAttempts: 1 });
  const outcomes = await runTask(registered('t', () => run('hostname')), { name: 't', args: { _: [] } }, { hosts: ['fabtest@127.0.0.1:1', 'web1'] });
  assert.deepEqual(outcomes.map((outcome) => outcome.status), ['skipped', 'ok']);
  assert.match(outcomes[0]!.reason!, /unreachable: cannot connect to .*connection refused/);
});

test('output is attributed to the command\'s own task and scope, even on a connection another task opened', async () => {
  useTestbed();
  await onHost('direct', () => run('true')); // opens the pooled connection in another task's context
  const seen: FabEvent[] = [];
  const stop = events.subscribe((event) => event.kind === 'output' && seen.push(event));
  const recorder = new RunRecorder();
  const stopRecorder = recorder.attach(events);
  await runTask(registered('quietly', () => hide('stdout', () => run('echo secret-ish; echo visible >&2'))), { name: 'quietly', args: { _: [] } }, { hosts: ['direct'] });
  stop();
  stopRecorder();
  const stdout = seen.filter((event) => event.kind === 'output' && event.stream === 'stdout');
  assert.ok(stdout.length > 0 && stdout.every((event) => event.kind === 'output' && event.hidden), 'hide("stdout") applied');
  assert.ok(seen.some((event) => event.kind === 'output' && event.stream === 'stderr' && !event.hidden));
  assert.deepEqual(recorder.runs[0]!.hosts[0]!.commands.map((command) => command.command), ['echo secret-ish; echo visible >&2']);
});
