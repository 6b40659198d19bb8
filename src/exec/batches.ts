import { UsageError } from '../errors.ts';

/** One size in a batch list: a number of hosts, or a percentage of all the task's hosts. */
export type BatchSize = { hosts: number } | { percent: number };

/** What `batch` / `--batch` accept: `3`, `'25%'`, `'1,10%,25%'`, or a list of those. */
export type BatchSpec = number | string | readonly (number | string)[];

const HINT = 'give a number of hosts, a percentage, or a list whose last value repeats, e.g. --batch 1,10%,25%';

function parseSize(item: number | string, where: string): BatchSize {
  const text = String(item).trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    if (value > 0 && value <= 100) return { percent: value };
  } else if (/^\d+$/.test(text) && Number(text) >= 1) {
    return { hosts: Number(text) };
  }
  throw new UsageError(`${where}: "${text}" is not a batch size; ${HINT}`, 'BAD_ARGUMENT');
}

/** Parses a batch spec; bad sizes (0, 0%, over 100%, fractions of hosts, words) are usage errors. */
export function parseBatchSpec(spec: BatchSpec, where = '--batch'): BatchSize[] {
  const items = typeof spec === 'string' ? spec.split(',') : typeof spec === 'number' ? [spec] : [...spec];
  if (items.length === 0 || (items.length === 1 && String(items[0]).trim() === '')) throw new UsageError(`${where} is empty; ${HINT}`, 'BAD_ARGUMENT');
  return items.map((item) => parseSize(item, where));
}

/**
 * How many hosts a size means out of `total`: a percentage of all the task's hosts, rounded up, and at
 * least one (25% of 10 hosts is 3; 10% of 4 is 1).
 */
export function batchLength(size: BatchSize, total: number): number {
  if ('hosts' in size) return size.hosts;
  return Math.max(1, Math.ceil((size.percent * total) / 100 - 1e-9));
}

/**
 * Splits hosts into batches, in order: each size in turn, the last one repeating until every host is in
 * a batch; the last batch may be smaller. The first batch is the canary.
 */
export function planBatches(hosts: readonly string[], sizes: readonly BatchSize[]): string[][] {
  const batches: string[][] = [];
  let next = 0;
  for (let index = 0; next < hosts.length; index++) {
    const length = batchLength(sizes[Math.min(index, sizes.length - 1)]!, hosts.length);
    batches.push(hosts.slice(next, next + length));
    next += length;
  }
  return batches;
}

/** Text for a batch spec, as the lines mode and --json name it. */
export function describeBatchSpec(sizes: readonly BatchSize[]): string {
  return sizes.map((size) => ('hosts' in size ? String(size.hosts) : `${size.percent}%`)).join(',');
}
