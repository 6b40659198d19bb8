import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { SECRET_KEYS } from '../env/env.ts';
import { isKnownKey, normalizeKey } from '../config/schema.ts';
import { describeError } from '../errors.ts';
import { hostsForTask } from '../exec/plan.ts';
import { lineSplitter, runArgv, startChild, type FabCommand, type TaskCatalog } from './child.ts';
import { ApiError } from './problem.ts';
import type { RunRequest, TaskList } from './schemas.ts';
import { FINAL_STATES, type Caller, type RunRow, type RunState, type Store } from './store.ts';

export interface RunsOptions {
  store: Store;
  command: FabCommand;
  catalog: TaskCatalog;
  dataDir: string;
  maxRuns: number;
  maxQueue: number;
  keepRuns: number;
  keepDays: number;
}

interface Live {
  child: ChildProcess;
  cancelRequested: boolean;
  runEnd?: Record<string, unknown>;
  firstError?: string;
  stderrTail: string;
}

/** Task argument keys that would retarget a task past the server's overlap check: the request's hosts/roles do that. */
const RESERVED_ARGS = new Set(['host', 'hosts', 'role', 'roles', 'exclude_hosts', 'excludeHosts']);
/** After a cancel, how long the run gets to end its remote commands before its process group is killed. */
const CANCEL_GRACE_MS = 15_000;

export const isFinal = (state: RunState) => FINAL_STATES.includes(state);

function hostsOverlap(a: string[], b: string[]): boolean {
  const set = new Set(a);
  return b.some((host) => set.has(host));
}

/**
 * Runs as child `fab --events -` processes: at most maxRuns at once, a bounded queue behind them, no two runs of
 * the same task on overlapping hosts at once; each child's events are stored (numbered) before watchers hear of
 * them. A run is a row in the store plus, while it runs, its child here.
 */
export class RunManager {
  private readonly live = new Map<number, Live>();
  private readonly queue: number[] = [];
  private readonly watchers = new Map<number, Set<() => void>>();
  private readonly idle = new Set<() => void>();
  draining = false;

  constructor(private readonly options: RunsOptions) {}

  get store(): Store {
    return this.options.store;
  }

  get catalog(): TaskCatalog {
    return this.options.catalog;
  }

  stats(): { running: number; queued: number } {
    return { running: this.live.size, queued: this.queue.length };
  }

  logDir(id: number): string {
    return join(this.options.dataDir, 'runs', String(id));
  }

  /** At start-up: runs a previous server left queued or running have no one following them any more. */
  recover(): number {
    const orphans = this.store.live();
    for (const run of orphans) this.finish(run.id, 'lost', null, 'the server stopped while this run was live; its events up to then are kept', undefined);
    this.prune();
    return orphans.length;
  }

  subscribe(id: number, listener: () => void): () => void {
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.watchers.delete(id);
    };
  }

  private notify(id: number): void {
    for (const listener of this.watchers.get(id) ?? []) listener();
  }

  private event(id: number, event: Record<string, unknown>): void {
    this.store.appendEvents(id, [{ time: new Date().toISOString(), ...event }]);
    this.notify(id);
  }

  private validate(request: RunRequest, list: TaskList): string[] {
    for (const [index, task] of request.tasks.entries()) {
      if (!list.tasks.some((known) => known.name === task.name || known.aliases.includes(task.name))) {
        throw new ApiError(422, `tasks/${index}/name: no task named "${task.name}"; GET /api/tasks lists them`, { code: 'UNKNOWN_TASK' });
      }
      for (const key of Object.keys(task.args ?? {})) {
        if (RESERVED_ARGS.has(key)) throw new ApiError(422, `tasks/${index}/args/${key}: give targets in the request's hosts, roles and exclude, not as task arguments`);
      }
    }
    for (const key of Object.keys(request.set ?? {})) {
      // Compared as fab will read them (`sudo_password` is sudoPassword): fab's own settings can name another
      // command, host, key or log folder for the run, so HTTP may set only the fabfile's own keys (env.branch ...).
      const name = normalizeKey(key);
      if (SECRET_KEYS.has(name)) throw new ApiError(422, `set/${key}: secrets are not accepted over HTTP; put ${name} in the server's config file (0600)`);
      if (isKnownKey(name)) throw new ApiError(422, `set/${key}: ${name} is one of fab's own settings, which a request may not change; set it in the fabfile or the server's config file`);
    }
    const targets = new Set<string>();
    for (const [index, task] of request.tasks.entries()) {
      const info = list.tasks.find((known) => known.name === task.name || known.aliases.includes(task.name))!;
      try {
        const hosts = hostsForTask(
          { name: task.name, args: { _: [] } },
          { hosts: info.hosts, roles: info.roles, excludeHosts: info.excludeHosts },
          { hosts: request.hosts ?? [], roles: request.roles ?? [], excludeHosts: request.exclude ?? [] },
          { hosts: list.hosts, roles: list.roles, roledefs: list.roledefs },
        );
        for (const host of hosts.length ? hosts : ['localhost']) targets.add(host);
      } catch (error) {
        throw new ApiError(422, `${request.roles?.length ? 'roles' : `tasks/${index}`}: ${describeError(error)}`);
      }
    }
    return [...targets];
  }

  /** A live run of one of these tasks on one of these hosts, if any (`among`: only those ids). */
  private holder(request: RunRequest, targets: string[], among?: Iterable<number>): RunRow | undefined {
    const names = new Set(request.tasks.map((task) => task.name));
    const candidates = among ? [...among].map((id) => this.store.get(id)!) : this.store.live();
    return candidates.find((run) => run && run.request.tasks.some((task) => names.has(task.name)) && hostsOverlap(run.targets, targets));
  }

  async create(request: RunRequest, caller: Caller, options: { idempotencyKey?: string; waitInQueue?: boolean } = {}): Promise<{ run: RunRow; replayed: boolean }> {
    if (this.draining) throw new ApiError(503, 'the server is shutting down; start the run on the next one', { headers: { 'retry-after': '30' } });
    const list = await this.options.catalog.get();
    // Looked up after the last await: from here to the insert nothing else runs, so two POSTs with one key make one run.
    if (options.idempotencyKey) {
      const earlier = this.store.byIdempotencyKey(options.idempotencyKey);
      if (earlier) return { run: earlier, replayed: true };
    }
    const targets = this.validate(request, list);
    const holder = this.holder(request, targets);
    if (holder && !options.waitInQueue) {
      throw new ApiError(409, `run ${holder.id} is running the same task on ${holder.targets.filter((host) => targets.includes(host)).join(', ')}; wait for it, or send Prefer: wait=N to queue`, { holder: holder.id, code: 'HOSTS_BUSY' });
    }
    if (this.queue.length >= this.options.maxQueue && (this.live.size >= this.options.maxRuns || holder)) {
      throw new ApiError(429, `${this.queue.length} runs are waiting already; try again later`, { headers: { 'retry-after': '10' } });
    }
    const run = this.store.createRun(request, targets, caller, options.idempotencyKey);
    this.event(run.id, { kind: 'state', state: 'queued' });
    this.queue.push(run.id);
    this.pump();
    return { run: this.store.get(run.id)!, replayed: false };
  }

  /** Starts queued runs while there is room, skipping those whose hosts a running run of their task holds. */
  private pump(): void {
    for (let index = 0; index < this.queue.length && this.live.size < this.options.maxRuns; ) {
      const run = this.store.get(this.queue[index]!)!;
      if (this.holder(run.request, run.targets, this.live.keys())) {
        index++;
        continue;
      }
      this.queue.splice(index, 1);
      this.start(run);
    }
  }

  private start(run: RunRow): void {
    const logDir = join(this.logDir(run.id), 'logs');
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
    const child = startChild(this.options.command, runArgv(this.options.command, run.request, logDir));
    const live: Live = { child, cancelRequested: false, stderrTail: '' };
    this.live.set(run.id, live);
    this.store.markStarted(run.id, child.pid ?? 0);
    this.event(run.id, { kind: 'state', state: 'running', pid: child.pid ?? null });
    child.stdout!.on('data', lineSplitter((lines) => this.ingest(run.id, live, lines)));
    child.stderr!.on('data', (chunk: Buffer) => (live.stderrTail = (live.stderrTail + chunk.toString('utf8')).slice(-4096)));
    child.on('error', (error) => (live.stderrTail += `\nfab: error: ${describeError(error)}`));
    child.on('close', (code) => this.ended(run.id, live, code));
  }

  /** One chunk of event lines: stored in one transaction, host results updated inside it, then watchers told. */
  private ingest(id: number, live: Live, lines: string[]): void {
    const events: Record<string, unknown>[] = [];
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event && typeof event === 'object' && typeof event.kind === 'string' && event.kind !== 'state') events.push(event);
      } catch {
        /* not an event line: the child's stdout carries nothing else */
      }
    }
    if (events.length === 0) return;
    const store = this.store;
    store.appendEvents(id, events, (event) => {
      const host = typeof event.host === 'string' ? event.host : undefined;
      const invocation = Number(event.invocation);
      switch (event.kind) {
        case 'task-plan':
          for (const planned of (event.hosts as string[]).length ? (event.hosts as string[]) : [undefined]) store.planHost(id, invocation, String(event.task), planned);
          break;
        case 'task-start':
          store.hostStatus(id, invocation, host, 'running');
          break;
        case 'command-end':
          store.hostExit(id, host, (event.exitCode as number | null) ?? null);
          break;
        case 'task-end': {
          const status = String(event.status ?? (event.ok ? 'ok' : event.skipped ? 'skipped' : 'failed'));
          store.hostStatus(id, invocation, host, status, Number(event.durationMs), (event.error as string | undefined) ?? (event.reason as string | undefined));
          if (status === 'failed' && live.firstError === undefined) live.firstError = `${host ?? 'localhost'}: ${String(event.error)}`;
          break;
        }
        case 'run-end':
          live.runEnd = event;
          break;
      }
    });
    this.notify(id);
  }

  private ended(id: number, live: Live, code: number | null): void {
    this.live.delete(id);
    const exitCode = (live.runEnd?.exitCode as number | undefined) ?? code;
    const state: RunState = live.cancelRequested ? 'cancelled' : exitCode === 0 ? 'ok' : 'failed';
    const fatal = live.stderrTail.split('\n').find((line) => line.startsWith('fab: error'))?.replace(/^fab: error: /, '');
    const error = state === 'ok' ? null : ((live.runEnd?.error as string | undefined) ?? live.firstError ?? fatal ?? (state === 'cancelled' ? 'cancelled' : `fab exited with ${code}`));
    this.finish(id, state, exitCode ?? null, error, live.runEnd?.summary);
    this.prune();
    this.pump();
    if (this.live.size === 0) for (const resolve of this.idle) resolve();
  }

  private finish(id: number, state: RunState, exitCode: number | null, error: string | null, summary: unknown): void {
    this.store.markFinished(id, state, exitCode, error, summary);
    this.event(id, { kind: 'state', state, exitCode, error });
  }

  /** Finished runs past --keep-runs / --keep-days go, with their logs. */
  prune(): void {
    for (const id of this.store.prune(this.options.keepRuns, this.options.keepDays)) rmSync(this.logDir(id), { recursive: true, force: true });
  }

  /** 202 for a live run (queued ones end at once; running ones get Ctrl-C); 409 for a finished one. */
  cancel(id: number): RunRow {
    const run = this.store.get(id);
    if (!run) throw new ApiError(404, `no run ${id}`);
    if (isFinal(run.state)) throw new ApiError(409, `run ${id} has already ended (${run.state})`);
    const queued = this.queue.indexOf(id);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      this.finish(id, 'cancelled', null, 'cancelled before it started', undefined);
    }
    const live = this.live.get(id);
    if (live && !live.cancelRequested) {
      live.cancelRequested = true;
      this.event(id, { kind: 'state', state: 'cancelling' });
      // The Ctrl-C path: fab ends the remote commands (their process groups) and removes temp files.
      live.child.kill('SIGINT');
      const pid = live.child.pid;
      setTimeout(() => {
        if (this.live.get(id) === live && pid) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }, CANCEL_GRACE_MS).unref();
    }
    return this.store.get(id)!;
  }

  /** Resolves with the run once it is final, or undefined after `seconds`. */
  waitForEnd(id: number, seconds: number): Promise<RunRow | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const run = this.store.get(id);
        if (run && isFinal(run.state)) {
          done(run);
          return true;
        }
        return false;
      };
      const unsubscribe = this.subscribe(id, check);
      const timer = setTimeout(() => done(undefined), seconds * 1000);
      const done = (run: RunRow | undefined) => {
        clearTimeout(timer);
        unsubscribe();
        resolve(run);
      };
      check();
    });
  }

  /** SIGTERM: no new runs; queued ones are cancelled; running ones finish, or are cancelled after timeoutMs. */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    for (const id of [...this.queue]) this.cancel(id);
    const allEnded = () => new Promise<void>((resolve) => (this.live.size === 0 ? resolve() : this.idle.add(resolve)));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    if ((await Promise.race([allEnded(), timedOut])) === 'timeout') {
      for (const id of [...this.live.keys()]) this.cancel(id);
      await allEnded();
    }
    clearTimeout(timer);
  }
}
