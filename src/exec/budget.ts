import { UsageError } from '../errors.ts';

/** How many failed hosts a rolling run tolerates: a count, or a percentage of the hosts done so far. */
export type FailureBudget = { hosts: number } | { percent: number };

/** The default: no failure tolerated (the first failed host stops the run, as without batches). */
export const NO_FAILURES: FailureBudget = { hosts: 0 };

/** Parses `--max-fail N|P%` (and the `maxFail` task option). */
export function parseFailureBudget(value: number | string, where = '--max-fail'): FailureBudget {
  const text = String(value).trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d+$/.test(text)) return { hosts: Number(text) };
  throw new UsageError(`${where}: "${text}" is not a failure budget; give a number of hosts (0 = none) or a percentage of 0% to 100%, e.g. --max-fail 10%`, 'BAD_ARGUMENT');
}

/**
 * Whether `failed` hosts out of `done` exceed the budget. "Exceeded" means strictly more than allowed:
 * a count N allows N failed hosts and is exceeded by the (N+1)th; P% allows failed <= P% of the hosts
 * done so far (over all batches), so 0 and 0% allow none, and 100% is never exceeded (not even by a
 * batch where every host failed).
 */
export function budgetExceeded(budget: FailureBudget, failed: number, done: number): boolean {
  if (failed === 0) return false;
  if ('hosts' in budget) return failed > budget.hosts;
  return failed * 100 > budget.percent * done;
}

export function describeBudget(budget: FailureBudget): string {
  return 'hosts' in budget ? String(budget.hosts) : `${budget.percent}%`;
}
