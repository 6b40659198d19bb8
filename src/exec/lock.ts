import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { ExitCode, FabError, describeError } from '../errors.ts';
import { isInterrupted } from '../ops/command/abort.ts';
import { events } from '../report/events.ts';
import { lockScript } from './lock-remote.ts';
import { describeHolder, hostKey, lockDir, lockTtl, parseHolder, printable, type LockHolder, type LockSettings } from './lock-names.ts';

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Who this run is: user@machine and a run id, shared by every lock the run takes. */
export interface RunIdentity {
  owner: string;
  runId: string;
}

export function newRunIdentity(): RunIdentity {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry: still lock, as 'unknown' */
  }
  return { owner: `${user}@${hostname()}`, runId: randomBytes(6).toString('hex') };
}

/**
 * A deploy lock held on a set of hosts: all of them or none. Taken in a stable order (sorted host strings),
 * one host after the other; when one is held, what was taken is released before waiting, so two deploys
 * can never each hold half and wait for each other. Kept fresh by a heartbeat while held; released only
 * with its token, so a run never removes another run's lock.
 */
export class DeployLock {
  /** Set when the heartbeat found the lock gone or taken over: no new batch may start. */
  lost: string | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private released = false;
  private readonly token = randomBytes(16).toString('hex');
  private readonly dir = lockDir();
  private readonly ttl = lockTtl();

  private constructor(
    readonly hosts: string[],
    readonly settings: LockSettings,
    readonly identity: RunIdentity,
  ) {}

  private entry(host: string): string {
    return `${this.settings.name}@${hostKey(host)}`;
  }

  private info(): string {
    const { owner, runId } = this.identity;
    return JSON.stringify({ owner, run: runId, task: this.settings.task, since: new Date().toISOString(), ...(this.settings.message ? { message: this.settings.message } : {}) });
  }

  private event(state: 'acquired' | 'waiting' | 'released' | 'lost', extra: { holder?: LockHolder; host?: string; message?: string } = {}): void {
    events.emit({ kind: 'lock', state, name: this.settings.name, task: this.settings.task, hosts: this.hosts, owner: this.identity.owner, runId: this.identity.runId, ...extra });
  }

  static async acquire(hosts: readonly string[], settings: LockSettings, identity: RunIdentity): Promise<DeployLock> {
    const lock = new DeployLock([...hosts].sort(), settings, identity);
    await lock.take();
    return lock;
  }

  /** One pass over the hosts in order; the first held one, or undefined when all were taken. */
  private async tryAll(taken: string[]): Promise<{ host: string; holder: LockHolder | undefined } | undefined> {
    const info = this.info();
    for (const host of this.hosts) {
      const lines = await lockScript(host, 'acquire', { dir: this.dir, name: this.entry(host), token: this.token, info, ttl: this.ttl });
      const first = lines[0] ?? '';
      if (first === 'ACQUIRED') {
        taken.push(host);
        if (lines[1] === 'BROKE') events.emit({ kind: 'warning', host, message: `took over the ${this.settings.name} lock: its owner had not refreshed it for longer than its TTL (recorded in the lock directory's audit.log)` });
        continue;
      }
      if (first.startsWith('HELD\t')) return { host, holder: parseHolder(first.split('\t').slice(3).join('\t')) };
      throw new FabError('LOCK_FAILED', `${host}: could not take the ${this.settings.name} lock: ${printable(first.replace(/^ERROR /, '')) || 'no answer from the lock script'}; set env.lockDir to a writable directory`, { host });
    }
    return undefined;
  }

  private async take(): Promise<void> {
    const deadline = Date.now() + this.settings.wait * 1000;
    let pause = 500;
    for (;;) {
      const taken: string[] = [];
      let held: Awaited<ReturnType<DeployLock['tryAll']>>;
      try {
        held = await this.tryAll(taken);
      } catch (error) {
        await this.releaseHosts(taken);
        throw error;
      }
      if (!held) break;
      await this.releaseHosts(taken);
      const who = describeHolder(held.holder);
      if (isInterrupted()) throw new FabError('INTERRUPTED', 'interrupted (Ctrl-C) while waiting for the deploy lock', { exitCode: ExitCode.interrupted });
      if (Date.now() >= deadline) {
        const advice = this.settings.wait > 0 ? `still held after waiting ${this.settings.wait}s` : 'wait for it with --lock-wait SECONDS';
        throw new FabError('LOCK_HELD', `the ${this.settings.name} lock on ${held.host} is held by ${who}; ${advice}, or see fab lock status (fab lock release --force if its owner is gone)`, { host: held.host });
      }
      this.event('waiting', { host: held.host, ...(held.holder ? { holder: held.holder } : {}), message: `held by ${who}` });
      const jitter = 0.75 + Math.random() * 0.5;
      await delay(Math.min(pause * jitter, Math.max(0, deadline - Date.now())));
      pause = Math.min(pause * 2, 5000);
    }
    this.event('acquired');
    const beat = Math.max(1000, (this.ttl * 1000) / 3);
    this.heartbeat = setInterval(() => void this.beat(), beat);
    this.heartbeat.unref();
  }

  private async beat(): Promise<void> {
    if (this.released || this.lost) return;
    await Promise.all(
      this.hosts.map(async (host) => {
        try {
          const [answer] = await lockScript(host, 'heartbeat', { dir: this.dir, name: this.entry(host), token: this.token }, 15_000);
          if (answer === 'LOST' && !this.released && !this.lost) {
            this.lost = `the ${this.settings.name} lock on ${host} was removed or taken over by another run`;
            this.event('lost', { host, message: this.lost });
          }
        } catch (error) {
          events.emit({ kind: 'warning', host, message: `could not refresh the ${this.settings.name} lock: ${describeError(error)}` });
        }
      }),
    );
  }

  private async releaseHosts(hosts: readonly string[]): Promise<void> {
    await Promise.all(
      [...hosts].reverse().map(async (host) => {
        try {
          await lockScript(host, 'release', { dir: this.dir, name: this.entry(host), token: this.token }, 10_000);
        } catch (error) {
          events.emit({ kind: 'warning', host, message: `could not release the ${this.settings.name} lock (it goes stale ${this.ttl}s after its last heartbeat): ${describeError(error)}` });
        }
      }),
    );
  }

  /** Releases the lock on every host (only where it is still this run's). Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    await this.releaseHosts(this.hosts);
    this.event('released');
  }
}

/** The locks a run holds, so that the session can release them after Ctrl-C before closing connections. */
export class LockRegistry {
  private readonly held = new Set<DeployLock>();
  constructor(readonly identity: RunIdentity = newRunIdentity()) {}

  async acquire(hosts: readonly string[], settings: LockSettings): Promise<DeployLock> {
    const lock = await DeployLock.acquire(hosts, settings, this.identity);
    this.held.add(lock);
    return lock;
  }

  async release(lock: DeployLock): Promise<void> {
    this.held.delete(lock);
    await lock.release();
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.held].map((lock) => this.release(lock)));
  }
}
