import { ExitCode } from '../errors.ts';
import type { RunPlanItem, TaskOutcome } from '../exec/runner.ts';
import type { RegisteredTask } from '../fabfile/registry.ts';
import { task } from '../fabfile/tasks.ts';
import { openShell } from '../ops/shell.ts';

/** `fab -H web1 shell [-- cmd]`: a task that opens the shell on each host, one host after another. */
export function shellPlanItem(command: string | undefined): RunPlanItem {
  const shell: RegisteredTask = {
    name: 'shell',
    options: { serial: true },
    description: command ?? 'interactive shell',
    params: undefined,
    fn: task(() => openShell(command)),
  };
  return { task: shell, invocation: { name: shell.name, args: { _: [] } } };
}

/** `fab shell` exits like ssh: with the remote status (the last non-zero one over several hosts), 1 on failure. */
export function shellExitCode(outcomes: TaskOutcome[]): number {
  if (outcomes.some((outcome) => !outcome.ok)) return ExitCode.taskFailed;
  const statuses = outcomes.map((outcome) => (typeof outcome.value === 'number' ? outcome.value : 0));
  return statuses.filter((status) => status !== 0).pop() ?? ExitCode.ok;
}
