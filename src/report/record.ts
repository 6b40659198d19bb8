import { currentContext } from '../env/context.ts';
import { ExitCode } from '../errors.ts';
import type { EventBus, FabEvent, Runner, TaskStatus } from './events.ts';

/** One command a task ran on a host, as the summary and --json tell it. */
export interface CommandRecord {
  runner: Runner;
  command: string;
  code: number | null;
  signal: string | null;
  ok: boolean;
  durationMs: number;
  dryRun: boolean;
}

export type LaneStatus = 'waiting' | 'running' | TaskStatus;

/** One task on one host (host undefined: the task ran once, locally). */
export interface HostRun {
  host: string | undefined;
  status: LaneStatus;
  reason?: string;
  error?: string;
  detail?: string;
  durationMs: number;
  /** performance.now() when it started, for the duration of a lane still running when the run ended. */
  startedAt?: number;
  value?: unknown;
  commands: CommandRecord[];
  /** A rolling task: the batch this host is in (1-based), and its health gate's result. */
  batch?: number;
  gate?: GateRecord;
}

export interface GateRecord {
  gate: string;
  ok: boolean;
  attempts: number;
  message: string;
}

/** One batch of a rolling task. */
export interface BatchRecord {
  number: number;
  hosts: string[];
  state: 'waiting' | 'running' | 'done';
  failed: string[];
  /** Why no later batch started. */
  stopped?: string;
}

/** A deploy lock the run took (or waited for). */
export interface LockRecord {
  name: string;
  task: string;
  hosts: string[];
  runId: string;
  owner: string;
  state: 'acquired' | 'waiting' | 'released' | 'lost';
}

/** One run of a task (a task named twice, or called through execute(), runs twice). */
export interface TaskRun {
  invocation: number;
  task: string;
  concurrency: number;
  parent?: { invocation: number; host?: string };
  /** In plan order; one entry with host undefined for a local-only task. */
  hosts: HostRun[];
  /** A rolling task's batches, in order; its failure budget and gate. */
  batches?: BatchRecord[];
  maxFail?: string;
  gate?: string;
}

/**
 * Everything that happened in a run, built from events alone: what the summary table, --json, the
 * lanes of the terminal view and `-H @failed` all read, so they cannot disagree.
 */
export class RunRecorder {
  /** The task names given on the command line, in order (from run-start). */
  planned: string[] = [];
  readonly runs: TaskRun[] = [];
  readonly locks: LockRecord[] = [];
  interrupted = false;
  private readonly byInvocation = new Map<number, TaskRun>();
  private readonly startedAt = performance.now();
  private finishedAt: number | undefined;

  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => this.handle(event));
  }

  handle(event: FabEvent): void {
    switch (event.kind) {
      case 'run-start':
        this.planned = [...event.tasks];
        break;
      case 'task-plan': {
        const run: TaskRun = {
          invocation: event.invocation,
          task: event.task,
          concurrency: event.concurrency,
          ...(event.parent ? { parent: event.parent } : {}),
          hosts: (event.hosts.length ? event.hosts : [undefined]).map((host) => ({ host, status: 'waiting', durationMs: 0, commands: [] })),
          ...(event.gate ? { gate: event.gate } : {}),
        };
        if (event.batches) {
          run.batches = event.batches.map((hosts, index) => ({ number: index + 1, hosts: [...hosts], state: 'waiting', failed: [] }));
          if (event.maxFail !== undefined) run.maxFail = event.maxFail;
          for (const batch of run.batches) for (const lane of run.hosts) if (batch.hosts.includes(lane.host!)) lane.batch = batch.number;
        }
        this.runs.push(run);
        this.byInvocation.set(run.invocation, run);
        break;
      }
      case 'task-start': {
        const lane = this.lane(event.invocation, event.host);
        if (lane) {
          lane.status = 'running';
          lane.startedAt = performance.now();
        }
        break;
      }
      case 'task-end': {
        const lane = this.lane(event.invocation, event.host);
        if (!lane) break;
        lane.status = event.status ?? (event.ok ? 'ok' : event.skipped ? 'skipped' : 'failed');
        lane.durationMs = event.durationMs;
        if (event.reason !== undefined) lane.reason = event.reason;
        if (event.error !== undefined) lane.error = event.error;
        if (event.detail !== undefined) lane.detail = event.detail;
        if (event.status === 'ok') lane.value = event.value;
        break;
      }
      case 'command-end': {
        const lane = this.laneOf(event.host);
        const { result } = event;
        lane?.commands.push({ runner: event.runner, command: result.command, code: result.code, signal: result.signal, ok: result.ok, durationMs: result.durationMs, dryRun: result.dryRun });
        break;
      }
      case 'batch-start':
      case 'batch-end': {
        const batch = this.byInvocation.get(event.invocation)?.batches?.[event.batch - 1];
        if (!batch) break;
        batch.state = event.kind === 'batch-start' ? 'running' : 'done';
        if (event.kind === 'batch-end') {
          batch.failed = [...event.failed];
          if (event.stopped) batch.stopped = event.stopped;
        }
        break;
      }
      case 'gate': {
        const lane = this.lane(event.invocation, event.host);
        if (!lane) break;
        lane.gate = { gate: event.gate, ok: event.ok, attempts: event.attempts, message: event.message };
        if (!event.ok) {
          lane.status = 'failed';
          lane.error = `health gate failed after ${event.attempts} attempt${event.attempts === 1 ? '' : 's'}: ${event.message}`;
          lane.detail = `${lane.error} (${event.gate})`;
        }
        break;
      }
      case 'lock': {
        const known = this.locks.find((lock) => lock.task === event.task && lock.name === event.name && lock.runId === event.runId);
        if (known) known.state = event.state;
        else this.locks.push({ name: event.name, task: event.task, hosts: [...event.hosts], runId: event.runId, owner: event.owner, state: event.state });
        break;
      }
      case 'interrupt':
        this.interrupted = true;
        break;
      case 'run-end':
        this.finishedAt = performance.now();
        for (const lane of this.runs.flatMap((run) => run.hosts)) {
          if (lane.status === 'running' && lane.startedAt !== undefined) lane.durationMs = this.finishedAt - lane.startedAt;
        }
        break;
      default:
        break;
    }
  }

  private lane(invocation: number | undefined, host: string | undefined): HostRun | undefined {
    const run = invocation === undefined ? undefined : this.byInvocation.get(invocation);
    return run?.hosts.find((lane) => lane.host === host);
  }

  /**
   * The lane an event emitted right now belongs to: the task context it was emitted in (operations emit
   * from their task's context), else the lane running on that host most recently started.
   */
  laneOf(host: string | undefined): HostRun | undefined {
    const context = currentContext();
    const fromContext = this.lane(context?.invocation, context?.host?.text);
    if (fromContext) return fromContext;
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const lane = this.runs[i]!.hosts.find((candidate) => candidate.host === host && candidate.status === 'running');
      if (lane) return lane;
    }
    return undefined;
  }

  /** The invocation and host of laneOf(host), for reporters that keep their own per-lane state. */
  laneKeyOf(host: string | undefined): { invocation: number; host: string | undefined } | undefined {
    const lane = this.laneOf(host);
    if (!lane) return undefined;
    const run = this.runs.find((candidate) => candidate.hosts.includes(lane))!;
    return { invocation: run.invocation, host: lane.host };
  }

  /** Runs started from the command line (not through execute()), in order. */
  topLevel(): TaskRun[] {
    return this.runs.filter((run) => run.parent === undefined);
  }

  /** Tasks named on the command line that never started (the run stopped before them). */
  notReached(): string[] {
    return this.planned.slice(this.topLevel().length);
  }

  durationMs(): number {
    return (this.finishedAt ?? performance.now()) - this.startedAt;
  }

  /** 130 when interrupted, 1 when a task failed on some host, else 0 (unreachable hosts skipped by --skip-bad-hosts included). */
  exitCode(): number {
    if (this.interrupted) return ExitCode.interrupted;
    const failed = this.runs.some((run) => run.hosts.some((lane) => lane.status === 'failed' || lane.status === 'interrupted'));
    return failed ? ExitCode.taskFailed : ExitCode.ok;
  }

  /** Every host the run targeted, in first-seen order. */
  hosts(): string[] {
    return [...new Set(this.runs.flatMap((run) => run.hosts.map((lane) => lane.host)).filter((host): host is string => host !== undefined))];
  }

  /**
   * What a rolling task did to its hosts: where it succeeded (task and gate: they run the new version),
   * where it failed, and which it never touched.
   */
  rolloutOf(run: TaskRun): { updated: string[]; failed: string[]; untouched: string[] } {
    const hosts = (status: (lane: HostRun) => boolean) => run.hosts.filter(status).map((lane) => lane.host ?? 'local');
    return {
      updated: hosts((lane) => lane.status === 'ok'),
      failed: hosts((lane) => lane.status === 'failed' || lane.status === 'interrupted' || lane.status === 'running'),
      untouched: hosts((lane) => lane.status === 'waiting' || lane.status === 'skipped'),
    };
  }

  /** Hosts where some task did not succeed: failed, interrupted, unreachable, or never ran. */
  failedHosts(): string[] {
    const failed = this.runs.flatMap((run) => run.hosts.filter((lane) => lane.status !== 'ok' && !lane.reason?.startsWith('ran once')).map((lane) => lane.host));
    return [...new Set(failed.filter((host): host is string => host !== undefined))];
  }
}
