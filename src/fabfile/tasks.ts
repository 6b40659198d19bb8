import type { TaskArgs } from './args.ts';
import type { BatchSpec } from '../exec/batches.ts';
import type { GateSpec } from '../exec/gate.ts';

/** Options a task can declare (API.md). */
export interface TaskOptions {
  name?: string;
  aliases?: string[];
  description?: string;
  hosts?: string[];
  roles?: string[];
  excludeHosts?: string[];
  /** true: all hosts at once; a number: at most that many at once. */
  parallel?: boolean | number;
  /** Forces serial execution even with -P. */
  serial?: boolean;
  /** Runs once, whatever the host list. */
  runsOnce?: boolean;
  /** The task `fab` runs when no task is named (or, in a namespace, when the namespace is named). */
  default?: boolean;
  /** Rolling: hosts in batches (`3`, `'25%'`, `[1, '10%', '25%']`: the last repeats); the first batch is the canary. */
  batch?: BatchSpec;
  /** Rolling: a health check on each host of a batch once the task ran there (a command, `{ http }`, or a function). */
  gate?: GateSpec;
  /** Rolling: failed hosts tolerated over the hosts done so far (`2`, `'10%'`); default 0. */
  maxFail?: number | string;
  /** Rolling: seconds to pause between batches. */
  batchWait?: number;
  /** Deploy lock on every host before the task runs anywhere: true (named after the task) or a lock name. */
  lock?: boolean | string;
  /** Runs once per batch of the task that calls it (through execute()), however many of its hosts call it. */
  runsOncePerBatch?: boolean;
}

export type TaskFunction<R = unknown> = (args: TaskArgs) => R | Promise<R>;

const TASK = Symbol.for('fabts.task');

/** A task: still a plain callable function, carrying its options. */
export type Task<R = unknown> = TaskFunction<R> & { readonly [TASK]: TaskOptions };

/** Declares a task with options; `task(fn)` alone marks a function as a task explicitly. */
export function task<R>(fn: TaskFunction<R>): Task<R>;
export function task<R>(options: TaskOptions, fn: TaskFunction<R>): Task<R>;
export function task<R>(optionsOrFn: TaskOptions | TaskFunction<R>, maybeFn?: TaskFunction<R>): Task<R> {
  const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn;
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  if (typeof fn !== 'function') throw new TypeError('task(options, fn): fn must be a function');
  const wrapped = ((args?: TaskArgs) => fn(args ?? { _: [] })) as Task<R>;
  Object.defineProperty(wrapped, TASK, { value: { ...options } });
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  Object.defineProperty(wrapped, 'source', { value: fn, enumerable: false });
  return wrapped;
}

export function taskOptions(value: unknown): TaskOptions | undefined {
  return typeof value === 'function' ? ((value as Partial<Task>)[TASK] ?? undefined) : undefined;
}

/** The user's function behind a task (for reading its parameters). */
export function taskSource(value: Function): Function {
  return (value as { source?: Function }).source ?? value;
}
