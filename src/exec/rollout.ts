import type { RegisteredTask } from '../fabfile/registry.ts';
import { UsageError } from '../errors.ts';
import { describeBatchSpec, parseBatchSpec, type BatchSize } from './batches.ts';
import { NO_FAILURES, describeBudget, parseFailureBudget, type FailureBudget } from './budget.ts';
import { resolveGate, type Gate } from './gate.ts';
import { lockName, type LockSettings } from './lock-names.ts';

/** The rolling-deploy flags of the command line; they apply to the tasks named there, above their own options. */
export interface RolloutFlags {
  batch?: string;
  gate?: string;
  gateHttp?: string;
  batchWait?: number;
  maxFail?: string;
  lockWait?: number;
  lockMessage?: string;
}

/** How a task rolls out over its hosts. */
export interface Rollout {
  /** Batch sizes; undefined: all hosts in one batch (the task's usual parallel/serial run). */
  sizes?: BatchSize[];
  budget: FailureBudget;
  gate?: Gate;
  /** Seconds between batches. */
  wait: number;
  lock?: LockSettings;
  /** For output: the batch spec and budget as given. */
  describe: { batch?: string; maxFail: string };
}

function seconds(value: unknown, where: string): number {
  if (value === undefined) return 0;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new UsageError(`${where} needs a number of seconds, not "${String(value)}"`, 'BAD_ARGUMENT');
  return number;
}

/** The rollout of one task: its options, with the command line's flags (when given) above them. Bad values are usage errors. */
export function rolloutFor(task: RegisteredTask, flags: RolloutFlags = {}): Rollout {
  const { options } = task;
  const batchSpec = flags.batch ?? options.batch;
  const sizes = batchSpec === undefined ? undefined : parseBatchSpec(batchSpec, flags.batch !== undefined ? '--batch' : `task ${task.name}: batch`);
  const maxFail = flags.maxFail ?? options.maxFail;
  const budget = maxFail === undefined ? NO_FAILURES : parseFailureBudget(maxFail, flags.maxFail !== undefined ? '--max-fail' : `task ${task.name}: maxFail`);
  const gate = resolveGate(options.gate, flags);
  const wait = seconds(flags.batchWait ?? options.batchWait, flags.batchWait !== undefined ? '--batch-wait' : `task ${task.name}: batchWait`);
  const lock =
    options.lock === undefined || options.lock === false
      ? undefined
      : { name: lockName(options.lock, task.name), task: task.name, wait: seconds(flags.lockWait, '--lock-wait'), ...(flags.lockMessage ? { message: flags.lockMessage } : {}) };
  return {
    ...(sizes ? { sizes } : {}),
    budget,
    ...(gate ? { gate } : {}),
    wait,
    ...(lock ? { lock } : {}),
    describe: { ...(sizes ? { batch: describeBatchSpec(sizes) } : {}), maxFail: describeBudget(budget) },
  };
}
