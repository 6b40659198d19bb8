import { env } from '../env/env.ts';

// How deploy locks are named, where they live, and how a holder's record from a host is read and shown.

/** Who holds a lock, as recorded on the host. */
export interface LockHolder {
  owner: string;
  run: string;
  task: string;
  since: string;
  message?: string;
}

export interface LockSettings {
  /** The lock's name: the task's, or the `lock` option's string. */
  name: string;
  task: string;
  /** Seconds to wait for a held lock (with backoff); 0 fails at once. */
  wait: number;
  message?: string;
}

/** Where locks live on each host (relative: under the login user's home), and their time to live in seconds. */
export function lockDir(): string {
  const dir = env.lockDir;
  return typeof dir === 'string' && dir ? dir.replace(/^~\//, '') : '.fabts/locks';
}

export function lockTtl(): number {
  const ttl = Number(env.lockTtl);
  return Number.isFinite(ttl) && ttl >= 1 ? Math.floor(ttl) : 120;
}

/** A host string as a file name: anything but letters, digits, `.`, `_` and `-` is %-encoded (`web1`, `deploy%40db%3A2222`). */
export function hostKey(host: string): string {
  return host.replace(/[^A-Za-z0-9._-]/g, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}

/** A lock name safe as a file name. */
export function lockName(option: boolean | string, task: string): string {
  const name = typeof option === 'string' && option.trim() ? option.trim() : task;
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Text from a host shown to people: no control characters (a hostile host could move the cursor or retitle the terminal). */
export function printable(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, max);
}

export function parseHolder(json: string): LockHolder | undefined {
  try {
    const value = JSON.parse(json) as Record<string, unknown>;
    const field = (key: string) => (typeof value[key] === 'string' ? printable(value[key] as string) : '?');
    return { owner: field('owner'), run: field('run'), task: field('task'), since: field('since'), ...(typeof value.message === 'string' && value.message ? { message: printable(value.message) } : {}) };
  } catch {
    return undefined;
  }
}

export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'someone (the lock is being taken right now, or its record is unreadable)';
  return `${holder.owner} (run ${holder.run}, task ${holder.task}) since ${holder.since}${holder.message ? `: "${holder.message}"` : ''}`;
}
