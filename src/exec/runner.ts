import { ROOT_SCOPE, currentContext, runInContext, type BatchInfo, type CurrentHost, type Scope } from '../env/context.ts';
import { env, envStore } from '../env/env.ts';
import { FabError, describeError } from '../errors.ts';
import type { TaskArgs, TaskInvocation } from '../fabfile/args.ts';
import type { RegisteredTask } from '../fabfile/registry.ts';
import { parseHostString } from '../hosts/spec.ts';
import { isInterrupted } from '../ops/command/abort.ts';
import { events, type FabEvent, type TaskStatus } from '../report/events.ts';
import { MANY_HOSTS, keepYoungGenerationSmall } from '../util/young-generation.ts';
import { concurrencyFor, hostsForTask, type CliTargets } from './plan.ts';
import { LockRegistry } from './lock.ts';
import type { LockSettings } from './lock-names.ts';
import { runRollout } from './rolling.ts';
import { rolloutFor, type RolloutFlags } from './rollout.ts';

/** How one task ended on one host (host absent for a task that ran once, locally). */
export interface TaskOutcome {
  task: string;
  host: string | undefined;
  status: TaskStatus;
  /** status is 'ok'. */
  ok: boolean;
  /** status is 'skipped' (never started, or unreachable under --skip-bad-hosts). */
  skipped: boolean;
  reason?: string;
  durationMs: number;
  value?: unknown;
  error?: unknown;
}

/** Errors that mean a host could not be reached at all (what --skip-bad-hosts skips). */
const UNREACHABLE = new Set(['CONNECT_FAILED', 'AUTH_FAILED', 'HOST_KEY']);

export function isUnreachable(error: unknown): boolean {
  return error instanceof FabError && UNREACHABLE.has(error.code);
}

/** A failure that stops the run: the host failed or was interrupted (a skipped host does not stop it). */
export function stopsRun(outcome: TaskOutcome): boolean {
  return outcome.status === 'failed' || outcome.status === 'interrupted';
}

/** Per-host env writes live for the whole run, so a later task on the same host sees them. */
const hostEnvs = new Map<string, Record<string, unknown>>();
/**
 * Runs of runsOnce / runsOncePerBatch tasks, by task function and then by batch ('run' for once per run):
 * the promise is stored before the task starts, so hosts calling it at the same moment share one run.
 */
const ranOnce = new Map<unknown, Map<string, Promise<TaskOutcome[]>>>();
let lastInvocation = 0;

export function currentHostFor(text: string): CurrentHost {
  const spec = parseHostString(text);
  return { text, host: spec.host, user: spec.user, port: spec.port };
}

function hostEnvFor(text: string): Record<string, unknown> {
  let values = hostEnvs.get(text);
  if (!values) hostEnvs.set(text, (values = {}));
  return values;
}

function outcome(task: string, host: string | undefined, status: TaskStatus, fields: Partial<TaskOutcome> = {}): TaskOutcome {
  return { task, host, status, ok: status === 'ok', skipped: status === 'skipped', durationMs: 0, ...fields };
}

function emitEnd(invocation: number, result: TaskOutcome): TaskOutcome {
  const { task, host, status, ok, skipped, durationMs, value, reason, error } = result;
  const message = error === undefined ? undefined : error instanceof Error ? error.message : String(error);
  events.emit({
    kind: 'task-end', task, host, invocation, status, ok, skipped, durationMs,
    ...(status === 'ok' ? { value } : {}),
    ...(reason ? { reason } : {}),
    ...(message !== undefined && status !== 'skipped' ? { error: describeError(error), detail: message } : {}),
  });
  return result;
}

/** Marks a host that never started (the run stopped, or was interrupted) as skipped. */
export function notStarted(task: RegisteredTask, host: string | undefined, invocation: number, why = 'not run: an earlier host failed'): TaskOutcome {
  const reason = isInterrupted() ? 'interrupted before it started' : why;
  return emitEnd(invocation, outcome(task.name, host, 'skipped', { reason }));
}

/**
 * Runs one task on one host (or locally when host is undefined), reporting start and end. `scope` is the
 * scope the task starts in: the root one, or the caller's for execute().
 */
export async function runTaskOnHost(
  task: RegisteredTask,
  args: TaskArgs,
  host: string | undefined,
  invocation = ++lastInvocation,
  scope: Scope = ROOT_SCOPE,
  batch: BatchInfo | undefined = currentContext()?.batch,
): Promise<TaskOutcome> {
  if (isInterrupted()) return notStarted(task, host, invocation);
  const started = performance.now();
  events.emit({ kind: 'task-start', task: task.name, host, invocation });
  const context = {
    host: host === undefined ? undefined : currentHostFor(host),
    hostEnv: host === undefined ? undefined : hostEnvFor(host),
    scope,
    task: task.name,
    invocation,
    ...(batch ? { batch } : {}),
  };
  try {
    const value = await runInContext(context, () => task.fn({ ...args, _: [...args._] }));
    return emitEnd(invocation, outcome(task.name, host, 'ok', { durationMs: performance.now() - started, value }));
  } catch (error) {
    const durationMs = performance.now() - started;
    if (isInterrupted()) return emitEnd(invocation, outcome(task.name, host, 'interrupted', { durationMs, error }));
    if (Boolean(env.skipBadHosts) && host !== undefined && isUnreachable(error)) {
      events.emit({ kind: 'warning', host, message: `skipping ${host} (--skip-bad-hosts): ${describeError(error)}` });
      return emitEnd(invocation, outcome(task.name, host, 'skipped', { durationMs, error, reason: `unreachable: ${describeError(error)}` }));
    }
    return emitEnd(invocation, outcome(task.name, host, 'failed', { durationMs, error }));
  }
}

export interface RunTaskOptions {
  /** The scope hosts start in (execute() passes the caller's). */
  scope?: Scope;
  /** The command line's rolling-deploy flags (tasks named on the command line only). */
  flags?: RolloutFlags;
  /** The run's deploy locks (execute() without one: the task's own, released when it ends). */
  locks?: LockRegistry;
}

/** Which run of a runsOnce / runsOncePerBatch task a call belongs to. */
function onceKey(task: RegisteredTask): string | undefined {
  if (task.options.runsOncePerBatch) {
    const batch = currentContext()?.batch;
    return batch ? `${batch.invocation}/${batch.number}` : 'run';
  }
  return task.options.runsOnce ? 'run' : undefined;
}

/**
 * Runs a task on its hosts: serially by default, or with a bounded pool; a rolling task (batch, gate,
 * maxFail, lock) batch by batch (see rolling.ts). A failure stops the task: in serial no further host
 * starts; in parallel the hosts already running finish and no new one starts (a failure budget lets it
 * go on). Hosts never started are reported as skipped. A task with no hosts runs once, locally; a
 * runsOnce task runs once per `fab` run (runsOncePerBatch: once per batch of its caller), on the first
 * of its hosts (or locally).
 */
export async function runTask(task: RegisteredTask, invocation: TaskInvocation, cli: CliTargets, options: RunTaskOptions = {}): Promise<TaskOutcome[]> {
  const id = ++lastInvocation;
  const caller = currentContext();
  const parent = caller?.invocation === undefined ? {} : { parent: { invocation: caller.invocation, ...(caller.host ? { host: caller.host.text } : {}) } };
  const key = onceKey(task);
  const runs = key === undefined ? undefined : (ranOnce.get(task.fn) ?? ranOnce.set(task.fn, new Map()).get(task.fn)!);
  const earlier = key === undefined ? undefined : runs!.get(key);
  if (earlier) {
    const once = await earlier;
    const hosts = once.map((done) => done.host).filter((host) => host !== undefined);
    events.emit({ kind: 'task-plan', task: task.name, invocation: id, hosts, concurrency: 1, ...parent });
    for (const done of once) emitEnd(id, outcome(task.name, done.host, 'skipped', { reason: `ran once already (${task.options.runsOncePerBatch ? 'runsOncePerBatch' : 'runsOnce'})` }));
    return once;
  }
  const running = runOnHosts(task, invocation, cli, options, id, parent, key !== undefined);
  if (key !== undefined) runs!.set(key, running);
  return running;
}

async function runOnHosts(
  task: RegisteredTask,
  invocation: TaskInvocation,
  cli: CliTargets,
  options: RunTaskOptions,
  id: number,
  parent: { parent?: { invocation: number; host?: string } },
  once: boolean,
): Promise<TaskOutcome[]> {
  let hosts = hostsForTask(invocation, task.options, cli, env as never);
  if (once) hosts = hosts.slice(0, 1);
  const width = hosts.length ? concurrencyFor(task.options, Boolean(env.parallel), env.poolSize as number | undefined, hosts.length) : 1;
  // The pool keeps one connection per host until the run ends: with many, memory per connection is what counts.
  if (hosts.length >= MANY_HOSTS) keepYoungGenerationSmall();
  const rollout = rolloutFor(task, options.flags);
  const plan = { kind: 'task-plan' as const, task: task.name, invocation: id, hosts, concurrency: width, ...parent };
  const scope = options.scope ?? ROOT_SCOPE;
  const locks = options.locks ?? new LockRegistry();
  // A dry run writes nothing on the hosts: no lock either.
  const lock = rollout.lock && hosts.length && !env.dryRun ? await acquireOrSkip(task, id, plan, hosts, locks, rollout.lock) : undefined;
  try {
    return await runRollout({ task, args: invocation.args, id, hosts, width, scope, rollout, plan, ...(lock ? { lock } : {}) });
  } finally {
    if (lock) await locks.release(lock);
  }
}

/** Takes a task's lock before it runs anywhere; when it cannot, every host is reported as not run and the error ends the run. */
async function acquireOrSkip(task: RegisteredTask, id: number, plan: Extract<FabEvent, { kind: 'task-plan' }>, hosts: string[], locks: LockRegistry, settings: LockSettings) {
  try {
    return await locks.acquire(hosts, settings);
  } catch (error) {
    events.emit(plan);
    const why = error instanceof FabError && error.code === 'LOCK_HELD' ? `the ${settings.name} lock is held by another run` : `the ${settings.name} lock was not taken`;
    for (const host of hosts) emitEnd(id, outcome(task.name, host, 'skipped', { reason: `not run: ${why}` }));
    throw error;
  }
}

export interface RunPlanItem {
  task: RegisteredTask;
  invocation: TaskInvocation;
}

/** Runs the tasks named on the command line in order; a task that failed anywhere ends the run. */
export async function runPlan(items: RunPlanItem[], cli: CliTargets, options: { flags?: RolloutFlags; locks?: LockRegistry } = {}): Promise<TaskOutcome[]> {
  envStore.writeLayer = 'runtime';
  events.emit({ kind: 'run-start', tasks: items.map((item) => item.task.name) });
  const outcomes: TaskOutcome[] = [];
  for (const item of items) {
    if (isInterrupted()) break;
    const taskOutcomes = await runTask(item.task, item.invocation, cli, options);
    outcomes.push(...taskOutcomes);
    if (taskOutcomes.some(stopsRun)) break;
  }
  return outcomes;
}

/** Forgets per-run state (host env writes, runsOnce results): a new `fab` run in the same process. */
export function resetRunState(): void {
  hostEnvs.clear();
  ranOnce.clear();
}
