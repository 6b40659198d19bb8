import { currentScope, runLocal } from '../env/context.ts';
import { UsageError } from '../errors.ts';
import type { TaskArgs } from '../fabfile/args.ts';
import type { RegisteredTask, TaskRegistry } from '../fabfile/registry.ts';
import { taskOptions, type TaskFunction } from '../fabfile/tasks.ts';
import { runTask } from './runner.ts';

/** Where execute() runs a task, above the task's own hosts/roles and env.hosts/env.roles. */
export interface ExecuteTargets {
  hosts?: string[];
  roles?: string[];
  excludeHosts?: string[];
}

/** The key execute() gives the value of a task that ran once, locally (no hosts): Fabric 1's. */
export const LOCAL_ONLY = '<local-only>';

/** Per run (env/context.ts): the fabfile `fab` loaded, or the tasks given to createRun(). */
const registryOf = runLocal((): { tasks?: TaskRegistry } => ({}));

/** The run's tasks, so execute('name') finds them (set by `fab` once the fabfile is loaded). */
export function setExecuteRegistry(tasks: TaskRegistry | undefined): void {
  registryOf().tasks = tasks;
}

function resolveTask(task: TaskFunction | string): RegisteredTask {
  const registry = registryOf().tasks;
  if (typeof task === 'string') {
    const found = registry?.find(task);
    if (!found) throw new UsageError(`execute("${task}"): no such task in the fabfile${registry ? `; tasks: ${registry.names().join(', ')}` : ''}`, 'UNKNOWN_TASK');
    return found;
  }
  if (typeof task !== 'function') throw new UsageError('execute(task, ...): task must be a task function or a task name', 'BAD_ARGUMENT');
  const registered = [...(registry?.tasks.values() ?? [])].find((candidate) => candidate.fn === task);
  if (registered) return registered;
  const options = taskOptions(task) ?? {};
  return { name: options.name ?? (task.name || 'anonymous'), options, description: options.description, params: undefined, fn: task as RegisteredTask['fn'] };
}

/**
 * Runs a task on other hosts from inside a task (or from a script), Fabric style, and resolves to each
 * host's return value: `{ web1: ..., web2: ... }` (`{ '<local-only>': ... }` when it had no hosts).
 * Hosts come from `targets`, else the task's own hosts/roles, else env.hosts/env.roles; the task's
 * parallel/serial options apply. Each host runs in its own context, starting from the caller's scope
 * (settings, hide, cd ...). When a host fails, execute() throws that host's error once the others
 * finished; hosts skipped by --skip-bad-hosts are left out of the result.
 */
export async function execute<R = unknown>(task: TaskFunction<R> | string, targets: ExecuteTargets = {}, args: Partial<TaskArgs> = {}): Promise<Record<string, R>> {
  const registered = resolveTask(task as TaskFunction | string);
  const invocation = {
    name: registered.name,
    args: { ...args, _: [...(args._ ?? [])] } as TaskArgs,
    ...(targets.hosts?.length ? { hosts: targets.hosts } : {}),
    ...(targets.roles?.length ? { roles: targets.roles } : {}),
    ...(targets.excludeHosts?.length ? { excludeHosts: targets.excludeHosts } : {}),
  };
  const outcomes = await runTask(registered, invocation, {}, { scope: currentScope() });
  const failure = outcomes.find((outcome) => outcome.status === 'failed' || outcome.status === 'interrupted');
  if (failure) throw failure.error;
  const values: Record<string, R> = {};
  for (const outcome of outcomes) if (outcome.ok) values[outcome.host ?? LOCAL_ONLY] = outcome.value as R;
  return values;
}
