// One task on one host: its context (host, host env, scope, batch), its start and end events, and how it ended.
// runner.ts plans tasks over hosts and rolling.ts over batches; both run each host through runTaskOnHost here.
import { ROOT_SCOPE, currentContext, runInContext, runLocal, type BatchInfo, type CurrentHost, type Scope } from '../env/context.ts';
import { env } from '../env/env.ts';
import { FabError, describeError } from '../errors.ts';
import type { TaskArgs } from '../fabfile/args.ts';
import type { RegisteredTask } from '../fabfile/registry.ts';
import { parseHostString } from '../hosts/spec.ts';
import { isInterrupted } from '../ops/command/abort.ts';
import { events, type TaskStatus } from '../report/events.ts';

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

/** What the runner keeps for one run (env/context.ts RunState). */
class RunnerState {
  /** Per-host env writes live for the whole run, so a later task on the same host sees them. */
  readonly hostEnvs = new Map<string, Record<string, unknown>>();
  /**
   * Runs of runsOnce / runsOncePerBatch tasks, by task function and then by batch ('run' for once per run):
   * the promise is stored before the task starts, so hosts calling it at the same moment share one run.
   */
  readonly ranOnce = new Map<unknown, Map<string, Promise<TaskOutcome[]>>>();
  lastInvocation = 0;
}

/** This run's runner state (one per run: env/context.ts runLocal). */
export const runner = runLocal(() => new RunnerState());

export function currentHostFor(text: string): CurrentHost {
  const spec = parseHostString(text);
  return { text, host: spec.host, user: spec.user, port: spec.port };
}

function hostEnvFor(text: string): Record<string, unknown> {
  const { hostEnvs } = runner();
  let values = hostEnvs.get(text);
  if (!values) hostEnvs.set(text, (values = {}));
  return values;
}

export function outcome(task: string, host: string | undefined, status: TaskStatus, fields: Partial<TaskOutcome> = {}): TaskOutcome {
  return { task, host, status, ok: status === 'ok', skipped: status === 'skipped', durationMs: 0, ...fields };
}

export function emitEnd(invocation: number, result: TaskOutcome): TaskOutcome {
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
  invocation = ++runner().lastInvocation,
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

/** Forgets the current run's host env writes and runsOnce results: a new `fab` run in the same process. */
export function resetRunState(): void {
  const { hostEnvs, ranOnce } = runner();
  hostEnvs.clear();
  ranOnce.clear();
}
