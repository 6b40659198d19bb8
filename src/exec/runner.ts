import { ROOT_SCOPE, currentContext, runInContext, type CurrentHost, type Scope } from '../env/context.ts';
import { env, envStore } from '../env/env.ts';
import { FabError, describeError } from '../errors.ts';
import type { TaskArgs, TaskInvocation } from '../fabfile/args.ts';
import type { RegisteredTask } from '../fabfile/registry.ts';
import { parseHostString } from '../hosts/spec.ts';
import { isInterrupted } from '../ops/abort.ts';
import { events, type TaskStatus } from '../report/events.ts';
import { MANY_HOSTS, keepYoungGenerationSmall } from '../util/young-generation.ts';
import { concurrencyFor, hostsForTask, type CliTargets } from './plan.ts';

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
/** Results of runsOnce tasks, by task function: they run once per `fab` run. */
const ranOnce = new Map<unknown, TaskOutcome[]>();
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
function notStarted(task: RegisteredTask, host: string | undefined, invocation: number): TaskOutcome {
  const reason = isInterrupted() ? 'interrupted before it started' : 'not run: an earlier host failed';
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
}

/**
 * Runs a task on its hosts: serially by default, or with a bounded pool. A failure stops the task: in
 * serial no further host starts; in parallel the hosts already running finish and no new one starts.
 * Hosts never started are reported as skipped. A task with no hosts runs once, locally; a runsOnce task
 * runs once per `fab` run, on the first of its hosts (or locally).
 */
export async function runTask(task: RegisteredTask, invocation: TaskInvocation, cli: CliTargets, options: RunTaskOptions = {}): Promise<TaskOutcome[]> {
  const id = ++lastInvocation;
  const caller = currentContext();
  const parent = caller?.invocation === undefined ? {} : { parent: { invocation: caller.invocation, ...(caller.host ? { host: caller.host.text } : {}) } };
  const once = task.options.runsOnce ? ranOnce.get(task.fn) : undefined;
  let hosts = hostsForTask(invocation, task.options, cli, env as never);
  if (task.options.runsOnce) hosts = once ? once.map((done) => done.host).filter((host) => host !== undefined) : hosts.slice(0, 1);
  const width = hosts.length ? concurrencyFor(task.options, Boolean(env.parallel), env.poolSize as number | undefined, hosts.length) : 1;
  // The pool keeps one connection per host until the run ends: with many, memory per connection is what counts.
  if (hosts.length >= MANY_HOSTS) keepYoungGenerationSmall();
  events.emit({ kind: 'task-plan', task: task.name, invocation: id, hosts, concurrency: width, ...parent });
  if (once) {
    for (const done of once) emitEnd(id, outcome(task.name, done.host, 'skipped', { reason: 'ran once already (runsOnce)' }));
    return once;
  }

  const scope = options.scope ?? ROOT_SCOPE;
  const targets: (string | undefined)[] = hosts.length ? hosts : [undefined];
  const outcomes: (TaskOutcome | undefined)[] = new Array(targets.length);
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && !isInterrupted() && next < targets.length) {
      const index = next++;
      const result = await runTaskOnHost(task, invocation.args, targets[index], id, scope);
      outcomes[index] = result;
      if (stopsRun(result)) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  const results = targets.map((host, index) => outcomes[index] ?? notStarted(task, host, id));
  if (task.options.runsOnce) ranOnce.set(task.fn, results);
  return results;
}

export interface RunPlanItem {
  task: RegisteredTask;
  invocation: TaskInvocation;
}

/** Runs the tasks named on the command line in order; a task that failed anywhere ends the run. */
export async function runPlan(items: RunPlanItem[], cli: CliTargets): Promise<TaskOutcome[]> {
  envStore.writeLayer = 'runtime';
  events.emit({ kind: 'run-start', tasks: items.map((item) => item.task.name) });
  const outcomes: TaskOutcome[] = [];
  for (const item of items) {
    if (isInterrupted()) break;
    const taskOutcomes = await runTask(item.task, item.invocation, cli);
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
