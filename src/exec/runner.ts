import { ROOT_SCOPE, runInContext, type CurrentHost } from '../env/context.ts';
import { env, envStore } from '../env/env.ts';
import { FabError, describeError } from '../errors.ts';
import type { TaskArgs, TaskInvocation } from '../fabfile/args.ts';
import type { RegisteredTask } from '../fabfile/registry.ts';
import { parseHostString } from '../hosts/spec.ts';
import { events } from '../report/events.ts';
import { concurrencyFor, hostsForTask, type CliTargets } from './plan.ts';

/** How one task ended on one host (host absent for a task that ran once, locally). */
export interface TaskOutcome {
  task: string;
  host: string | undefined;
  ok: boolean;
  skipped: boolean;
  durationMs: number;
  value?: unknown;
  error?: unknown;
}

/** Errors that mean a host could not be reached at all (what --skip-bad-hosts skips). */
const UNREACHABLE = new Set(['CONNECT_FAILED', 'AUTH_FAILED', 'HOST_KEY']);

export function isUnreachable(error: unknown): boolean {
  return error instanceof FabError && UNREACHABLE.has(error.code);
}

/** Per-host env writes live for the whole run, so a later task on the same host sees them. */
const hostEnvs = new Map<string, Record<string, unknown>>();

export function currentHostFor(text: string): CurrentHost {
  const spec = parseHostString(text);
  return { text, host: spec.host, user: spec.user, port: spec.port };
}

function hostEnvFor(text: string): Record<string, unknown> {
  let values = hostEnvs.get(text);
  if (!values) hostEnvs.set(text, (values = {}));
  return values;
}

/** Runs one task on one host (or locally when host is undefined), reporting start and end. */
export async function runTaskOnHost(task: RegisteredTask, args: TaskArgs, host: string | undefined): Promise<TaskOutcome> {
  const started = performance.now();
  events.emit({ kind: 'task-start', task: task.name, host });
  const context = {
    host: host === undefined ? undefined : currentHostFor(host),
    hostEnv: host === undefined ? undefined : hostEnvFor(host),
    scope: ROOT_SCOPE,
    task: task.name,
  };
  try {
    const value = await runInContext(context, () => task.fn({ ...args, _: [...args._] }));
    const durationMs = performance.now() - started;
    events.emit({ kind: 'task-end', task: task.name, host, ok: true, durationMs, value });
    return { task: task.name, host, ok: true, skipped: false, durationMs, value };
  } catch (error) {
    const durationMs = performance.now() - started;
    const skipped = Boolean(env.skipBadHosts) && host !== undefined && isUnreachable(error);
    if (skipped) events.emit({ kind: 'warning', host, message: `skipping ${host}: ${describeError(error)}` });
    events.emit({ kind: 'task-end', task: task.name, host, ok: skipped, skipped, durationMs, error: describeError(error) });
    return { task: task.name, host, ok: skipped, skipped, durationMs, error };
  }
}

/**
 * Runs a task on its hosts: serially by default, or with a bounded pool. A failure stops the task:
 * no further host starts, hosts already running finish. Hosts never started are reported as skipped.
 */
export async function runTask(task: RegisteredTask, invocation: TaskInvocation, cli: CliTargets): Promise<TaskOutcome[]> {
  const hosts = task.options.runsOnce ? [] : hostsForTask(invocation, task.options, cli, env as never);
  if (hosts.length === 0) return [await runTaskOnHost(task, invocation.args, undefined)];

  const width = concurrencyFor(task.options, Boolean(env.parallel), env.poolSize as number | undefined, hosts.length);
  const outcomes: (TaskOutcome | undefined)[] = new Array(hosts.length);
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && next < hosts.length) {
      const index = next++;
      const outcome = await runTaskOnHost(task, invocation.args, hosts[index]);
      outcomes[index] = outcome;
      if (!outcome.ok) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return hosts.map(
    (host, index) =>
      outcomes[index] ?? (events.emit({ kind: 'task-end', task: task.name, host, ok: false, skipped: true, durationMs: 0 }), { task: task.name, host, ok: false, skipped: true, durationMs: 0 }),
  );
}

export interface RunPlanItem {
  task: RegisteredTask;
  invocation: TaskInvocation;
}

/** Runs the tasks named on the command line in order; a task that failed anywhere ends the run. */
export async function runPlan(items: RunPlanItem[], cli: CliTargets): Promise<TaskOutcome[]> {
  envStore.writeLayer = 'runtime';
  const outcomes: TaskOutcome[] = [];
  for (const item of items) {
    const taskOutcomes = await runTask(item.task, item.invocation, cli);
    outcomes.push(...taskOutcomes);
    if (taskOutcomes.some((outcome) => !outcome.ok)) break;
  }
  return outcomes;
}
