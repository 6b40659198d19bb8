import { ExitCode } from '../errors.ts';
import type { RunPlanItem } from '../exec/runner.ts';
import type { RegisteredTask } from '../fabfile/registry.ts';
import { task } from '../fabfile/tasks.ts';
import { openShell } from '../ops/interactive/shell.ts';

/**
 * `fab -H web1 shell [-- cmd]`: a task that opens the shell on each host, one host after another, and the
 * exit status of the run: like ssh, the remote status (the last non-zero one over several hosts).
 */
export function shellPlan(command: string | undefined): { item: RunPlanItem; exitCode: (runStatus: number) => number } {
  const statuses: number[] = [];
  const shell: RegisteredTask = {
    name: 'shell',
    options: { serial: true },
    description: command ?? 'interactive shell',
    params: undefined,
    fn: task(async () => {
      statuses.push(await openShell(command));
    }),
  };
  return {
    item: { task: shell, invocation: { name: shell.name, args: { _: [] } } },
    exitCode: (runStatus) => (runStatus !== ExitCode.ok ? runStatus : (statuses.filter((status) => status !== 0).pop() ?? ExitCode.ok)),
  };
}
