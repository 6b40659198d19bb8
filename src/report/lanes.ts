import { basename } from 'node:path';
import type { FabEvent } from './events.ts';
import { isHidden } from './levels.ts';
import type { RunRecorder } from './record.ts';

export type LaneEnd = { status: 'ok' } | { status: 'failed' | 'skipped'; message: string };

export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** How many of its last output lines a finished lane keeps on screen (--linewise or --log-dir show everything). */
export const KEPT_OUTPUT_LINES = 8;

/**
 * What one host's lane shows: its state, the command running, the last line of output, transfer progress;
 * and, once it is done, the last lines of its output (so `fab info` on a terminal shows what the hosts said).
 */
export class Lane {
  readonly end = deferred<LaneEnd>();
  ended = false;
  running = false;
  command = '';
  line = '';
  progress = '';
  note = '';
  /** How the host's health gate went (rolling tasks). */
  gate = '';
  /** Changed since the view last drew it. */
  dirty = true;
  private readonly kept: string[] = [];
  private partial = '';
  private outputLines = 0;
  constructor(readonly label: string) {}

  /** Output shown in this lane; a line rewritten with `\r` (a progress meter) counts as its last state. */
  addOutput(text: string): void {
    const pieces = (this.partial + text).split('\n');
    this.partial = pieces.pop() ?? '';
    for (const piece of pieces) this.keep(piece);
    const line = lastLine(text);
    if (line) this.set('line', line);
  }

  private keep(line: string): void {
    const shown = (line.split('\r').filter(Boolean).at(-1) ?? '').trimEnd();
    this.outputLines++;
    this.kept.push(shown);
    if (this.kept.length > KEPT_OUTPUT_LINES) this.kept.shift();
  }

  /** The last `max` lines of output, with a note of how many came before them; '' when there was none. */
  outputTail(max = KEPT_OUTPUT_LINES): string {
    if (this.partial) {
      this.keep(this.partial);
      this.partial = '';
    }
    const shown = max > 0 ? this.kept.slice(-max) : [];
    const earlier = this.outputLines - shown.length;
    if (shown.length === 0 && earlier > 0) return '';
    const lines = earlier > 0 ? [`… ${earlier} earlier line${earlier === 1 ? '' : 's'} (--linewise or --log-dir shows all)`, ...shown] : shown;
    return lines.join('\n').trimEnd();
  }

  finish(end: LaneEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.running = false;
    this.end.resolve(end);
  }

  set(field: 'command' | 'line' | 'progress' | 'note' | 'gate', text: string): void {
    this[field] = text;
    this.dirty = true;
  }
}

/** A batch of a rolling task in the view: its lanes, and a title that says how its gates went. */
export interface BatchGroup {
  title: string;
  lanes: Lane[];
  /** Gate results so far, by host (with what the failed ones saw). */
  gates: Map<string, { ok: boolean; message: string }>;
  /** Resolved when the batch is over (its gates too), or the run is. */
  ended: ReturnType<typeof deferred<void>>;
  dirty: boolean;
}

/** A task named on the command line: its lanes arrive with its plan (undefined: it never ran). */
export interface Entry {
  name: string;
  plan: ReturnType<typeof deferred<Lane[] | undefined>>;
  concurrency: number;
  /** A rolling task: its lanes grouped by batch, in order. */
  batches?: BatchGroup[];
  invocation?: number;
  /** What the entry waits for before its plan (another run's deploy lock). */
  note?: string;
}

const key = (invocation: number, host: string | undefined) => `${invocation}\u0000${host ?? ''}`;

function lastLine(text: string): string {
  const lines = text.split(/\r?\n|\r/).map((line) => line.trimEnd()).filter(Boolean);
  return lines.at(-1) ?? '';
}

const mebibytes = (bytes: number) => (bytes / 1048576).toFixed(1);

/**
 * The state behind the terminal view, kept from events: an entry per task named on the command line, a
 * lane per host. Tasks started by execute() report into the lane of the task and host that called it.
 */
export class LaneBoard {
  readonly entries: Entry[] = [];
  readonly lanes = new Map<string, Lane>();
  readonly warnings: string[] = [];
  /** Lanes of tasks run by execute(): the lane of the caller, by invocation. */
  private readonly callers = new Map<number, Lane>();
  /** A rolling task's batches and its gate's label, by invocation. */
  private readonly groups = new Map<number, BatchGroup[]>();
  private readonly gateLabel = new Map<number, string | undefined>();
  private topLevelSeen = 0;

  constructor(private readonly recorder: RunRecorder) {}

  start(tasks: string[]): void {
    for (const name of tasks) this.entries.push({ name, plan: deferred(), concurrency: 1 });
  }

  /** The lane an operation's event belongs to, and the host to prefix when it is a nested execute(). */
  private laneOf(host: string | undefined): { lane: Lane; prefix: string } | undefined {
    const where = this.recorder.laneKeyOf(host);
    if (!where) return undefined;
    const own = this.lanes.get(key(where.invocation, where.host));
    if (own) return { lane: own, prefix: '' };
    const caller = this.callers.get(where.invocation);
    return caller ? { lane: caller, prefix: `[${where.host ?? 'local'}] ` } : undefined;
  }

  private show(host: string | undefined, field: 'command' | 'line' | 'progress', text: (prefix: string) => string): void {
    const where = this.laneOf(host);
    where?.lane.set(field, text(where.prefix));
  }

  private interruptedBy = 'Ctrl-C';

  handle(event: FabEvent): void {
    switch (event.kind) {
      case 'task-plan':
        this.plan(event);
        break;
      case 'task-start': {
        const lane = event.invocation === undefined ? undefined : this.lanes.get(key(event.invocation, event.host));
        if (lane) lane.running = lane.dirty = true;
        break;
      }
      case 'task-end':
        this.taskEnd(event);
        break;
      case 'command':
        if (!event.hidden) this.show(event.host, 'command', (prefix) => `${prefix}${event.runner}: ${event.command}${event.dryRun ? ' (dry run)' : ''}`);
        break;
      case 'output': {
        if (event.hidden) break;
        const where = this.laneOf(event.host);
        if (!where) break;
        if (where.prefix) {
          const line = lastLine(event.text);
          if (line) where.lane.set('line', `${where.prefix}${line}`);
        } else where.lane.addOutput(event.text);
        break;
      }
      case 'transfer': {
        const name = basename(event.direction === 'put' ? event.local : event.remote);
        const percent = event.total > 0 ? Math.floor((event.bytes / event.total) * 100) : 100;
        this.show(event.host, 'progress', (prefix) => (event.done ? '' : `${prefix}${event.direction} ${name} ${percent}% (${mebibytes(event.bytes)}/${mebibytes(event.total)} MiB)`));
        break;
      }
      case 'status':
        if (!isHidden('status')) this.show(event.host, 'line', (prefix) => `${prefix}${event.message}`);
        break;
      case 'debug':
        if (!isHidden('debug')) this.show(event.host, 'line', (prefix) => `${prefix}debug: ${event.message}`);
        break;
      case 'gate':
        this.gate(event);
        break;
      case 'batch-end':
        this.groups.get(event.invocation)?.[event.batch - 1]?.ended.resolve();
        break;
      case 'lock': {
        // Locks are taken before a task's plan: the entry next to be planned is the one waiting.
        const entry = this.entries[this.topLevelSeen];
        const holder = event.holder ? `${event.holder.owner}${event.holder.message ? ` ("${event.holder.message}")` : ''}` : 'another run';
        if (entry?.name === event.task) entry.note = event.state === 'waiting' ? `waiting for the ${event.name} lock on ${event.host ?? '?'}, held by ${holder}` : '';
        if (event.state === 'lost' && !isHidden('warnings')) this.warnings.push(`Warning: ${event.message ?? 'the deploy lock was lost'}`);
        break;
      }
      case 'banner':
        if (!isHidden('status')) this.warnings.push(...event.message.trimEnd().split('\n').map((line) => `[${event.host}] ${line}`));
        break;
      case 'interrupt':
        this.interruptedBy = event.signal === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C';
        break;
      case 'warning':
        if (!isHidden('warnings')) this.warnings.push(`${event.host ? `[${event.host}] ` : ''}Warning: ${event.message}`);
        break;
      default:
        break;
    }
  }

  private plan(event: Extract<FabEvent, { kind: 'task-plan' }>): void {
    if (event.parent) {
      const caller = this.lanes.get(key(event.parent.invocation, event.parent.host)) ?? this.callers.get(event.parent.invocation);
      if (!caller) return;
      this.callers.set(event.invocation, caller);
      caller.set('note', `execute ${event.task} on ${event.hosts.join(', ') || 'local'}`);
      return;
    }
    const entry = this.entries[this.topLevelSeen++];
    if (!entry) return;
    const lanes = (event.hosts.length ? event.hosts : [undefined]).map((host) => {
      const lane = new Lane(host ?? 'local');
      this.lanes.set(key(event.invocation, host), lane);
      return lane;
    });
    entry.concurrency = event.concurrency;
    entry.invocation = event.invocation;
    if (event.batches) {
      const byHost = new Map(event.hosts.map((host, index) => [host, lanes[index]!]));
      entry.batches = event.batches.map((hosts, index) => ({
        title: `batch ${index + 1}/${event.batches!.length}: ${hosts.join(', ')}`,
        lanes: hosts.map((host) => byHost.get(host)!),
        gates: new Map(),
        ended: deferred<void>(),
        dirty: true,
      }));
      this.gateLabel.set(event.invocation, event.gate);
      this.groups.set(event.invocation, entry.batches);
    }
    entry.plan.resolve(lanes);
  }

  /** A lane says how its host's gate went; its batch's title counts the gates passed. */
  private gate(event: Extract<FabEvent, { kind: 'gate' }>): void {
    const lane = this.lanes.get(key(event.invocation, event.host));
    if (lane) lane.set('gate', event.ok ? `gate ✔ ${event.message}` : `gate ✖ ${event.message} (${event.attempts} attempt${event.attempts === 1 ? '' : 's'})`);
    const group = this.groups.get(event.invocation)?.[event.batch - 1];
    if (group) {
      group.gates.set(event.host, { ok: event.ok, message: event.message });
      group.dirty = true;
    }
  }

  /** The gate's label of a rolling task (undefined: it has no gate). */
  gateOf(invocation: number): string | undefined {
    return this.gateLabel.get(invocation);
  }

  /** What a batch's gate row says: checking, how many passed, and where it failed. */
  gateTitle(invocation: number, group: BatchGroup): string {
    const label = this.gateLabel.get(invocation) ?? 'gate';
    if (group.gates.size === 0) return `gate: ${label}`;
    const passed = [...group.gates.values()].filter((gate) => gate.ok).length;
    return `gate: ${passed}/${group.gates.size} passed  ${label}`;
  }

  private taskEnd(event: Extract<FabEvent, { kind: 'task-end' }>): void {
    if (event.invocation === undefined) return;
    const lane = this.lanes.get(key(event.invocation, event.host));
    const status = event.status ?? (event.ok ? 'ok' : event.skipped ? 'skipped' : 'failed');
    if (!lane) {
      this.callers.get(event.invocation)?.set('note', `execute ${event.task} on ${event.host ?? 'local'}: ${status}`);
      return;
    }
    lane.dirty = true;
    if (status === 'ok') lane.finish({ status: 'ok' });
    else if (status === 'skipped') lane.finish({ status: 'skipped', message: event.reason ?? 'skipped' });
    else lane.finish({ status: 'failed', message: event.detail ?? event.error ?? status });
  }

  /** The run is over: tasks never reached are skipped, lanes still open (an interrupt) closed. */
  finishAll(): void {
    for (const entry of this.entries) entry.plan.resolve(undefined);
    for (const groups of this.groups.values()) for (const group of groups) group.ended.resolve();
    for (const lane of this.lanes.values()) {
      lane.finish(lane.running ? { status: 'failed', message: `interrupted (${this.interruptedBy})` } : { status: 'skipped', message: 'not run' });
    }
  }
}
