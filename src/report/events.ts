import type { Result } from '../ops/command/result.ts';

/** Output levels that --hide/--show and hide()/show() switch (API.md). */
export const OUTPUT_LEVELS = ['running', 'stdout', 'stderr', 'status', 'warnings', 'debug'] as const;
export type OutputLevel = (typeof OUTPUT_LEVELS)[number];

/** Who acted: a command runner, or a file operation ('put', 'get', 'sftp' for the other remote file system writes). */
export type Runner = 'run' | 'sudo' | 'local' | 'put' | 'get' | 'sftp';

/** How one task ended on one host: `skipped` never started (or was unreachable under --skip-bad-hosts). */
export type TaskStatus = 'ok' | 'failed' | 'skipped' | 'interrupted';

/**
 * Everything that happens in a run, as typed events. Operations emit, never print;
 * reporters (lines, listr, json, log files) subscribe and decide what to show.
 * `host` is the host string the event belongs to, absent for the run itself and local-only tasks.
 */
export type FabEvent =
  | { kind: 'run-start'; tasks: string[] }
  | { kind: 'run-end'; exitCode: number }
  /**
   * A task is about to run on these hosts (none: once, locally). `invocation` numbers each run of a task
   * (a task named twice, or called through execute(), is two invocations); `parent` is the task and host
   * whose execute() started it.
   */
  | {
      kind: 'task-plan';
      task: string;
      invocation: number;
      hosts: string[];
      concurrency: number;
      parent?: { invocation: number; host?: string };
      /** A rolling task: its hosts in batches, in order (the first is the canary), and its failure budget and gate. */
      batches?: string[][];
      maxFail?: string;
      gate?: string;
    }
  /** A batch of a rolling task starts (`batch` is 1-based, of `batches`). */
  | { kind: 'batch-start'; task: string; invocation: number; batch: number; batches: number; hosts: string[] }
  /**
   * A batch is done (its gates too): the hosts that failed in it (the task or the gate), and, when no
   * further batch will start, why (`stopped`).
   */
  | { kind: 'batch-end'; task: string; invocation: number; batch: number; batches: number; failed: string[]; stopped?: string }
  /** A host's health gate after its batch ran: passed or not, after how many attempts, what the last attempt saw. */
  | { kind: 'gate'; task: string; invocation: number; batch: number; host: string; gate: string; ok: boolean; attempts: number; message: string; durationMs: number }
  /**
   * A deploy lock: taken on all of `hosts`, waited for (held by `holder` on `host`), released, or lost
   * (removed or taken over by someone else while held).
   */
  | {
      kind: 'lock';
      state: 'acquired' | 'waiting' | 'released' | 'lost';
      name: string;
      task: string;
      hosts: string[];
      owner: string;
      runId: string;
      host?: string;
      holder?: { owner: string; run: string; task: string; since: string; message?: string };
      message?: string;
    }
  | { kind: 'task-start'; task: string; host?: string; invocation?: number }
  | {
      kind: 'task-end';
      task: string;
      host?: string;
      ok: boolean;
      skipped?: boolean;
      durationMs: number;
      value?: unknown;
      /** First line of the error. */
      error?: string;
      invocation?: number;
      status?: TaskStatus;
      /** Why it was skipped (unreachable, not run after a failure, interrupted). */
      reason?: string;
      /** The whole error message (command, exit code, tail of its output). */
      detail?: string;
    }
  | { kind: 'command'; host?: string; runner: Runner; command: string; dryRun?: boolean; hidden: boolean }
  | { kind: 'output'; host?: string; stream: 'stdout' | 'stderr'; text: string; bytes: Buffer; hidden: boolean }
  | { kind: 'command-end'; host?: string; runner: Runner; result: Result }
  /**
   * A file moving: once at the start (bytes 0), at most every 200 ms while it runs, and once with done: true.
   * `total` is -1 while unknown (a stream). A failed transfer ends with done: true and `error`.
   */
  | { kind: 'transfer'; host?: string; direction: 'put' | 'get'; local: string; remote: string; bytes: number; total: number; done: boolean; error?: string }
  | { kind: 'answer'; host?: string; pattern: string; answer: string; secret: boolean }
  | { kind: 'connect'; host: string; via?: string; state: 'connecting' | 'connected' | 'closed' | 'failed'; message?: string }
  | { kind: 'warning'; host?: string; message: string }
  | { kind: 'status'; host?: string; message: string }
  /** The server's login banner (sshd_config Banner), once per connection, before authentication. */
  | { kind: 'banner'; host: string; message: string }
  | { kind: 'debug'; host?: string; message: string }
  /** Someone is being asked a question at the terminal (or has an interactive shell, `shell: true`): live renderers pause between start and end. */
  | { kind: 'prompt'; state: 'start' | 'end'; host?: string; shell?: boolean }
  /** The first Ctrl-C: running commands are being ended. */
  | { kind: 'interrupt'; signal?: 'SIGINT' | 'SIGTERM' };

export type EventListener = (event: FabEvent) => void;

/** A tiny synchronous event bus; one per process. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: FabEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  clear(): void {
    this.listeners.clear();
  }
}

export const events = new EventBus();
