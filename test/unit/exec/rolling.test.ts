// Rolling runs with tasks that never open a connection (host strings are labels until an operation needs
// the host): batches, the canary, the failure budget's edges, function gates and runsOncePerBatch.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../../src/config/schema.ts';
import { env, envStore } from '../../../src/env/env.ts';
import { execute, setExecuteRegistry } from '../../../src/exec/execute.ts';
import { resetRunState, runTask } from '../../../src/exec/runner.ts';
import type { RolloutFlags } from '../../../src/exec/rollout.ts';
import type { RegisteredTask } from '../../../src/fabfile/registry.ts';
import { task, type TaskOptions } from '../../../src/fabfile/tasks.ts';
import { resetInterrupt } from '../../../src/ops/command/abort.ts';
import { events, type FabEvent } from '../../../src/report/events.ts';
import { RunRecorder } from '../../../src/report/record.ts';
import { formatSummary } from '../../../src/report/summary.ts';
import { runDocument } from '../../../src/report/json.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];

function registered(name: string, fn: (args: never) => unknown, options: TaskOptions = {}): RegisteredTask {
  return { name, options, description: undefined, params: undefined, fn: fn as RegisteredTask['fn'] };
}

const stops: (() => void)[] = [];
beforeEach(() => {
  for (const stop of stops.splice(0)) stop();
  envStore.reset();
  envStore.setLayer('defaults', { ...DEFAULTS, hosts: [], roles: [], roledefs: {}, excludeHosts: [] }, 'defaults');
  envStore.writeLayer = 'runtime';
  resetRunState();
  resetInterrupt();
  setExecuteRegistry(undefined);
});

function record(): { list: FabEvent[]; recorder: RunRecorder } {
  const list: FabEvent[] = [];
  const recorder = new RunRecorder();
  stops.push(events.subscribe((event) => list.push(event)), recorder.attach(events));
  return { list, recorder };
}

/** A task that logs start/end per host and fails on the hosts named in `failing`. */
function deployTask(failing: string[] = [], options: TaskOptions = {}, log: string[] = []) {
  return registered('deploy', async () => {
    log.push(`start ${env.host}`);
    await sleep(5);
    log.push(`end ${env.host}`);
    if (failing.includes(env.host!)) throw new Error(`broken on ${env.host}`);
    return env.host;
  }, options);
}

const run = (t: RegisteredTask, flags: RolloutFlags = {}, hosts = HOSTS) => runTask(t, { name: t.name, args: { _: [] } }, { hosts }, { flags });
const statuses = (outcomes: { host: string | undefined; status: string }[]) => outcomes.map((outcome) => `${outcome.host}:${outcome.status}`);

test('a batch runs fully (in parallel within it) before the next batch starts; tasks see env.batch', async () => {
  const log: string[] = [];
  const seen: string[] = [];
  const t = registered('deploy', async () => {
    log.push(`start ${env.host}`);
    seen.push(`${env.host}@${env.batch?.number}/${env.batch?.of}:${env.batch?.hosts.join('+')}`);
    await sleep(env.host === 'h2' ? 30 : 5);
    log.push(`end ${env.host}`);
  }, { parallel: true });
  const { list } = record();
  const outcomes = await run(t, { batch: '1,2' }, HOSTS.slice(0, 5));
  assert.deepEqual(statuses(outcomes), ['h1:ok', 'h2:ok', 'h3:ok', 'h4:ok', 'h5:ok']);
  assert.ok(log.indexOf('end h2') < log.indexOf('start h4'), 'the slow h2 of batch 2 ends before batch 3 starts');
  assert.ok(log.indexOf('start h3') < log.indexOf('end h2'), 'h2 and h3 ran at once within their batch');
  assert.deepEqual(seen.sort(), ['h1@1/3:h1', 'h2@2/3:h2+h3', 'h3@2/3:h2+h3', 'h4@3/3:h4+h5', 'h5@3/3:h4+h5']);
  const plan = list.find((event) => event.kind === 'task-plan');
  assert.deepEqual(plan?.kind === 'task-plan' && plan.batches, [['h1'], ['h2', 'h3'], ['h4', 'h5']]);
  assert.deepEqual(list.filter((event) => event.kind === 'batch-start').map((event) => event.kind === 'batch-start' && `${event.batch}/${event.batches}:${event.hosts.join(',')}`), ['1/3:h1', '2/3:h2,h3', '3/3:h4,h5']);
});

test('the canary: any failure in the first batch stops the run, even with a generous budget', async () => {
  const outcomes = await run(deployTask(['h1']), { batch: '1,50%', maxFail: '100%' });
  assert.deepEqual(statuses(outcomes), ['h1:failed', 'h2:skipped', 'h3:skipped', 'h4:skipped', 'h5:skipped', 'h6:skipped']);
  assert.equal(outcomes[1]!.reason, 'not run: the canary batch failed');
});

test('--max-fail 0 (the default): the first failure past the canary stops new hosts; the summary says who has what', async () => {
  const { recorder } = record();
  const t = deployTask(['h3'], { parallel: 1 });
  const outcomes = await run(t, { batch: '1,2' });
  assert.deepEqual(statuses(outcomes), ['h1:ok', 'h2:ok', 'h3:failed', 'h4:skipped', 'h5:skipped', 'h6:skipped']);
  events.emit({ kind: 'run-end', exitCode: 1 });
  const summary = formatSummary(recorder, { color: false });
  assert.match(summary, /^deploy: 2 of 4 batches done; stopped: an earlier host failed$/m);
  assert.match(summary, /^ {2}new version: h1, h2$/m);
  assert.match(summary, /^ {2}failed: h3$/m);
  assert.match(summary, /^ {2}never touched: h4, h5, h6$/m);
  const doc = runDocument(recorder, 1, { dryRun: false });
  assert.deepEqual((doc.tasks[0] as unknown as { rollout: unknown }).rollout, { updated: ['h1', 'h2'], failed: ['h3'], untouched: ['h4', 'h5', 'h6'] });
  assert.deepEqual((doc.tasks[0] as unknown as { batches: { batch: number; state: string }[] }).batches.map((batch) => `${batch.batch}:${batch.state}`), ['1:done', '2:done', '3:waiting', '4:waiting']);
});

test('a count budget: N failed hosts are tolerated, the (N+1)th stops the run', async () => {
  const within = await run(deployTask(['h2', 'h4']), { batch: '1,2', maxFail: '2' });
  assert.deepEqual(statuses(within), ['h1:ok', 'h2:failed', 'h3:ok', 'h4:failed', 'h5:ok', 'h6:ok']);
  resetRunState();
  // h4 is the third failure: h5, in the same batch, does not start (4 hosts done).
  const past = await run(deployTask(['h2', 'h3', 'h4']), { batch: '1,2', maxFail: '2' });
  assert.deepEqual(statuses(past), ['h1:ok', 'h2:failed', 'h3:failed', 'h4:failed', 'h5:skipped', 'h6:skipped']);
  assert.match(past[4]!.reason!, /failure budget was exceeded \(3 of 4 hosts failed; --max-fail 2\)/);
});

test('100%: a batch where every host failed does not stop the run', async () => {
  const outcomes = await run(deployTask(['h2', 'h3']), { batch: '1,2', maxFail: '100%' });
  assert.deepEqual(statuses(outcomes), ['h1:ok', 'h2:failed', 'h3:failed', 'h4:ok', 'h5:ok', 'h6:ok']);
});

test('a percentage budget counts over all hosts done so far, checked as each batch ends', async () => {
  // 1 failed of 3 done (33%) is within 40%; a second makes 2 of 5 (40%): still within, so the last batch runs.
  const ok = await run(deployTask(['h3', 'h5']), { batch: '1,2', maxFail: '40%' });
  assert.deepEqual(statuses(ok), ['h1:ok', 'h2:ok', 'h3:failed', 'h4:ok', 'h5:failed', 'h6:ok']);
  resetRunState();
  // 1 of 3 done is over 20%: batch 3 never starts.
  const stopped = await run(deployTask(['h3']), { batch: '1,2', maxFail: '20%' });
  assert.deepEqual(statuses(stopped), ['h1:ok', 'h2:ok', 'h3:failed', 'h4:skipped', 'h5:skipped', 'h6:skipped']);
});

test('one host: a batch of one is the canary and the whole run; its failure fails the run whatever the budget', async () => {
  assert.deepEqual(statuses(await run(deployTask(['h1']), { batch: '25%', maxFail: '0' }, ['h1'])), ['h1:failed']);
  resetRunState();
  assert.deepEqual(statuses(await run(deployTask(['h1']), { batch: '1', maxFail: '100%' }, ['h1'])), ['h1:failed']);
  resetRunState();
  assert.deepEqual(statuses(await run(deployTask([]), { batch: '1', maxFail: '0' }, ['h1'])), ['h1:ok']);
});

test('without batches, --max-fail lets the other hosts go on; without it a failure stops new hosts as before', async () => {
  assert.deepEqual(statuses(await run(deployTask(['h1']), { maxFail: '1' }, ['h1', 'h2', 'h3'])), ['h1:failed', 'h2:ok', 'h3:ok']);
  resetRunState();
  assert.deepEqual(statuses(await run(deployTask(['h1']), {}, ['h1', 'h2', 'h3'])), ['h1:failed', 'h2:skipped', 'h3:skipped']);
});

test('a function gate runs on each host of the batch after it ran; a failed gate fails the host and counts against the budget', async () => {
  const checked: string[] = [];
  const gate = async ({ host, batch }: { host: string; batch: { number: number } }) => {
    checked.push(`${host}@${batch.number}:${env.host}`);
    return host !== 'h3';
  };
  const { list, recorder } = record();
  const outcomes = await run(deployTask([], { gate: { fn: gate, retries: 1, interval: 0 } }), { batch: '1,2' });
  assert.deepEqual(statuses(outcomes), ['h1:ok', 'h2:ok', 'h3:failed', 'h4:skipped', 'h5:skipped', 'h6:skipped']);
  assert.deepEqual(checked, ['h1@1:h1', 'h2@2:h2', 'h3@2:h3', 'h3@2:h3'], 'each host checked in its own context; h3 retried once');
  assert.match(String(outcomes[2]!.error), /health gate failed on h3 after 2 attempts: .*returned false/);
  const gates = list.filter((event) => event.kind === 'gate');
  assert.deepEqual(gates.map((event) => event.kind === 'gate' && `${event.host}:${event.ok}:${event.attempts}`), ['h1:true:1', 'h2:true:1', 'h3:false:2']);
  const lane = recorder.runs[0]!.hosts[2]!;
  assert.equal(lane.status, 'failed');
  assert.match(lane.error!, /health gate failed after 2 attempts/);
});

test('a gate that throws or takes too long fails; a failed task is not gated', async () => {
  const checked: string[] = [];
  const gate = (info: { host: string }) => {
    checked.push(info.host);
    if (info.host === 'h1') throw new Error('no answer from /health');
    return new Promise(() => {});
  };
  const outcomes = await run(deployTask(['h2'], { gate: { fn: gate, retries: 0, timeout: 0.05 } }), { maxFail: '100%' }, ['h1', 'h2', 'h3']);
  assert.deepEqual(statuses(outcomes), ['h1:failed', 'h2:failed', 'h3:failed']);
  assert.deepEqual(checked.sort(), ['h1', 'h3']);
  assert.match(String(outcomes[0]!.error), /no answer from \/health/);
  assert.match(String(outcomes[2]!.error), /took longer than 0\.05s/);
});

test('runsOncePerBatch: a task execute()d by every host of a batch runs once per batch, and sees the batch', async () => {
  const drained: string[] = [];
  const drain = task({ runsOncePerBatch: true }, async () => {
    drained.push(env.batch!.hosts.join('+'));
    await sleep(10);
  });
  const deploy = registered('deploy', async () => {
    await execute(drain);
  }, { parallel: true });
  await run(deploy, { batch: '2' }, ['h1', 'h2', 'h3', 'h4', 'h5']);
  assert.deepEqual(drained, ['h1+h2', 'h3+h4', 'h5']);
});

test('runsOnce runs once even when hosts in parallel call it at the same moment', async () => {
  let runs = 0;
  const once = task({ runsOnce: true }, async () => {
    runs++;
    await sleep(10);
  });
  const deploy = registered('deploy', async () => execute(once), { parallel: true });
  await run(deploy, {}, ['h1', 'h2', 'h3']);
  assert.equal(runs, 1);
});

test('bad rolling options are usage errors', async () => {
  await assert.rejects(run(deployTask(), { batch: '0' }), /--batch: "0" is not a batch size/);
  await assert.rejects(run(deployTask([], { maxFail: 'lots' })), /task deploy: maxFail: "lots"/);
  await assert.rejects(run(deployTask(), { gateHttp: 'ftp://x/health' }), /not an http:\/\/ or https:\/\/ URL/);
});
