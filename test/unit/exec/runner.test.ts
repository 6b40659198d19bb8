// The execution model with tasks that never open a connection: host strings are only labels until an
// operation needs the host, so the scheduling, failure policy and execute() run here for real, no test bed.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../../src/config/schema.ts';
import { env, envStore } from '../../../src/env/env.ts';
import { settings } from '../../../src/env/scopes.ts';
import { FabError } from '../../../src/errors.ts';
import { execute, LOCAL_ONLY, setExecuteRegistry } from '../../../src/exec/execute.ts';
import { resetRunState, runPlan, runTask } from '../../../src/exec/runner.ts';
import type { RegisteredTask } from '../../../src/fabfile/registry.ts';
import { task, type TaskOptions } from '../../../src/fabfile/tasks.ts';
import { resetInterrupt } from '../../../src/ops/command/abort.ts';
import { events, type FabEvent } from '../../../src/report/events.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function registered(name: string, fn: (args: never) => unknown, options: TaskOptions = {}): RegisteredTask {
  return { name, options, description: undefined, params: undefined, fn: fn as RegisteredTask['fn'] };
}

function setEnv(values: Record<string, unknown> = {}): void {
  envStore.reset();
  envStore.setLayer('defaults', { ...DEFAULTS, hosts: [], roles: [], roledefs: {}, excludeHosts: [] }, 'defaults');
  envStore.setLayer('cli', values, 'test');
  envStore.writeLayer = 'runtime';
}

function recordEvents(): FabEvent[] {
  const list: FabEvent[] = [];
  const stop = events.subscribe((event) => list.push(event));
  after.push(stop);
  return list;
}
const after: (() => void)[] = [];

beforeEach(() => {
  for (const stop of after.splice(0)) stop();
  setEnv();
  resetRunState();
  resetInterrupt();
  setExecuteRegistry(undefined);
});

test('serial by default: hosts run one after the other, in order, each in its own host context', async () => {
  const log: string[] = [];
  const deploy = registered('deploy', async () => {
    log.push(`start ${env.host}`);
    await sleep(20);
    log.push(`end ${env.host}`);
    return env.hostString;
  });
  const outcomes = await runTask(deploy, { name: 'deploy', args: { _: [] } }, { hosts: ['a', 'deploy@b:2222', 'c'] });
  assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  assert.deepEqual(outcomes.map((outcome) => [outcome.host, outcome.status, outcome.value]), [
    ['a', 'ok', 'a'],
    ['deploy@b:2222', 'ok', 'deploy@b:2222'],
    ['c', 'ok', 'c'],
  ]);
});

test('serial: a failing host stops the task there; later hosts are skipped, never started', async () => {
  const started: string[] = [];
  const deploy = registered('deploy', async () => {
    started.push(env.host!);
    if (env.host === 'b') throw new FabError('COMMAND_FAILED', 'boom on b');
  });
  const outcomes = await runTask(deploy, { name: 'deploy', args: { _: [] } }, { hosts: ['a', 'b', 'c', 'd'] });
  assert.deepEqual(started, ['a', 'b']);
  assert.deepEqual(outcomes.map((outcome) => outcome.status), ['ok', 'failed', 'skipped', 'skipped']);
  assert.match(outcomes[2]!.reason!, /not run: an earlier host failed/);
});

test('parallel with a pool: a failure lets running hosts finish and starts no new one', async () => {
  setEnv({ parallel: true, poolSize: 2 });
  const finished: string[] = [];
  const deploy = registered('deploy', async () => {
    if (env.host === 'a') throw new Error('a fails at once');
    await sleep(100);
    finished.push(env.host!);
  });
  const outcomes = await runTask(deploy, { name: 'deploy', args: { _: [] } }, { hosts: ['a', 'b', 'c', 'd'] });
  assert.deepEqual(finished, ['b'], 'b was running and finished; c and d never started');
  assert.deepEqual(outcomes.map((outcome) => outcome.status), ['failed', 'ok', 'skipped', 'skipped']);
});

test('parallel: hosts really run at once, bounded by the pool size', async () => {
  let running = 0;
  let most = 0;
  const work = registered('work', async () => {
    most = Math.max(most, ++running);
    await sleep(60);
    running--;
  }, { parallel: 3 });
  await runTask(work, { name: 'work', args: { _: [] } }, { hosts: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] });
  assert.equal(most, 3);
  const serial = registered('serial', work.fn, { serial: true });
  setEnv({ parallel: true });
  most = 0;
  await runTask(serial, { name: 'serial', args: { _: [] } }, { hosts: ['a', 'b', 'c'] });
  assert.equal(most, 1, 'serial: true wins over -P');
});

test('a task with no hosts runs once, locally, without a host', async () => {
  const seen: unknown[] = [];
  const outcomes = await runTask(registered('build', () => seen.push(env.host)), { name: 'build', args: { _: [] } }, {});
  assert.deepEqual(seen, [undefined]);
  assert.equal(outcomes.length, 1);
  assert.equal(outcomes[0]!.host, undefined);
});

test('runsOnce runs on the first host only, once per run, and later calls get the first result', async () => {
  let calls = 0;
  const onceFn = task({ runsOnce: true }, () => `${++calls}@${env.host}`);
  const once = registered('once', onceFn, { runsOnce: true });
  const first = await runTask(once, { name: 'once', args: { _: [] } }, { hosts: ['a', 'b', 'c'] });
  assert.deepEqual(first.map((outcome) => [outcome.host, outcome.value]), [['a', '1@a']]);
  assert.deepEqual(await execute(onceFn, { hosts: ['x', 'y'] }), { a: '1@a' });
  assert.equal(calls, 1);
});

test('execute() runs a task on other hosts from inside a task and returns { host: value }, nesting contexts', async () => {
  const inner = task(async ({ greeting = 'hi' }) => `${greeting} from ${env.host} (user ${env.user ?? '-'})`);
  const outer = registered('outer', async () => {
    const before = env.host;
    const values = await execute(inner, { hosts: ['alice@x', 'y'] }, { greeting: 'hello' });
    return { before, after: env.host, values };
  });
  const [outcome] = await runTask(outer, { name: 'outer', args: { _: [] } }, { hosts: ['web1'] });
  assert.deepEqual(outcome!.value, {
    before: 'web1',
    after: 'web1',
    values: { 'alice@x': 'hello from x (user alice)', y: 'hello from y (user -)' },
  });
});

test('execute() takes hosts from the task, then env.hosts; no hosts at all runs it locally', async () => {
  setEnv({ hosts: ['e1', 'e2'] });
  const where = () => env.host ?? 'local';
  assert.deepEqual(await execute(task({ hosts: ['t1'] }, where)), { t1: 't1' });
  assert.deepEqual(await execute(task(where)), { e1: 'e1', e2: 'e2' });
  setEnv();
  assert.deepEqual(await execute(where), { [LOCAL_ONLY]: 'local' });
});

test('execute() by name finds the fabfile task; a failing host makes it throw that host\'s error', async () => {
  const registry = { find: (name: string) => (name === 'check' ? check : undefined), names: () => ['check'], tasks: new Map() };
  const check = registered('check', () => {
    if (env.host === 'bad') throw new FabError('COMMAND_FAILED', 'check failed on bad');
    return 'fine';
  });
  setExecuteRegistry(registry as never);
  assert.deepEqual(await execute('check', { hosts: ['good'] }), { good: 'fine' });
  await assert.rejects(execute('check', { hosts: ['good', 'bad'] }), /check failed on bad/);
  await assert.rejects(execute('nope'), /no such task/);
});

test('execute() hosts start from the caller\'s scope (settings made around the call apply)', async () => {
  const seen = await runTask(registered('outer', () => settings({ branch: 'release' }, () => execute(() => env.branch, { hosts: ['h'] }))), { name: 'outer', args: { _: [] } }, {});
  assert.deepEqual(seen[0]!.value, { h: 'release' });
});

test('--skip-bad-hosts: an unreachable host is skipped with a warning and does not stop the run', async () => {
  setEnv({ skipBadHosts: true });
  const list = recordEvents();
  const deploy = registered('deploy', () => {
    if (env.host === 'down') throw new FabError('CONNECT_FAILED', 'cannot connect to down: connection refused', { host: 'down' });
    return 'ok';
  });
  const outcomes = await runTask(deploy, { name: 'deploy', args: { _: [] } }, { hosts: ['down', 'up'] });
  assert.deepEqual(outcomes.map((outcome) => outcome.status), ['skipped', 'ok']);
  assert.match(outcomes[0]!.reason!, /unreachable: cannot connect to down/);
  assert.ok(list.some((event) => event.kind === 'warning' && /skipping down/.test(event.message)));
  // A command failing on a reachable host is still a failure.
  const failing = registered('failing', () => {
    throw new FabError('COMMAND_FAILED', 'exit 1');
  });
  assert.equal((await runTask(failing, { name: 'failing', args: { _: [] } }, { hosts: ['up'] }))[0]!.status, 'failed');
  // So is a connection lost under a command: the host was reached, and may be half-done.
  const lost = registered('lost', () => {
    throw new FabError('CONNECTION_LOST', 'up: the connection was lost while the command ran', { host: 'up' });
  });
  assert.equal((await runTask(lost, { name: 'lost', args: { _: [] } }, { hosts: ['up'] }))[0]!.status, 'failed');
});

test('runPlan runs tasks in order and stops at the first task that failed somewhere', async () => {
  const ran: string[] = [];
  const ok = registered('ok', () => ran.push('ok'));
  const bad = registered('bad', () => {
    ran.push('bad');
    throw new Error('no');
  });
  const outcomes = await runPlan(
    [ok, bad, ok].map((item) => ({ task: item, invocation: { name: item.name, args: { _: [] } } })),
    {},
  );
  assert.deepEqual(ran, ['ok', 'bad']);
  assert.deepEqual(outcomes.map((outcome) => outcome.status), ['ok', 'failed']);
});

test('events: a plan, then a start and an end per host, all carrying the invocation', async () => {
  const list = recordEvents();
  await runTask(registered('t', () => 1), { name: 't', args: { _: [] } }, { hosts: ['a', 'b'] });
  const kinds = list.filter((event) => event.kind.startsWith('task-')).map((event) => `${event.kind}${'host' in event && event.host ? `:${event.host}` : ''}`);
  assert.deepEqual(kinds, ['task-plan', 'task-start:a', 'task-end:a', 'task-start:b', 'task-end:b']);
  const plan = list.find((event) => event.kind === 'task-plan') as Extract<FabEvent, { kind: 'task-plan' }>;
  assert.deepEqual(plan.hosts, ['a', 'b']);
  assert.ok(list.every((event) => !('invocation' in event) || event.invocation === plan.invocation));
});
