import { basename } from 'node:path';
import { Listr, ListrDefaultRendererLogLevels, PRESET_TIMER, color, figures, type ListrTask, type ListrTaskWrapper } from 'listr2';
import type { EventBus, FabEvent } from './events.ts';
import { isHidden } from './levels.ts';
import { PausableRenderer } from './listr-renderer.ts';
import type { RunRecorder } from './record.ts';

type Wrapper = ListrTaskWrapper<unknown, typeof PausableRenderer, typeof PausableRenderer>;
type LaneEnd = { status: 'ok' } | { status: 'failed' | 'skipped'; message: string };

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** What one host's lane shows: its state, the command running, the last line of output, transfer progress. */
class Lane {
  wrapper: Wrapper | undefined;
  readonly end = deferred<LaneEnd>();
  ended = false;
  running = false;
  command = '';
  line = '';
  progress = '';
  note = '';
  dirty = true;
  /** The lane's title: the host, or the task's name for a task that runs locally (it has no lanes). */
  title: string;
  constructor(readonly label: string) {
    this.title = label;
  }

  finish(end: LaneEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.running = false;
    this.end.resolve(end);
  }
}

interface Entry {
  name: string;
  plan: ReturnType<typeof deferred<Lane[] | undefined>>;
  concurrency: number;
}

const key = (invocation: number, host: string | undefined) => `${invocation}\u0000${host ?? ''}`;

/**
 * Breaks long lines at spaces to fit `width`, so a failure's command is shown whole (the view truncates
 * lines that do not fit the terminal).
 */
export function wrapLines(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((line) => {
      const pieces: string[] = [];
      let rest = line;
      while (rest.length > width) {
        const space = rest.lastIndexOf(' ', width);
        const cut = space > width / 2 ? space : width;
        pieces.push(rest.slice(0, cut));
        rest = rest.slice(cut).replace(/^ /, '');
      }
      pieces.push(rest);
      return pieces;
    })
    .join('\n');
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n|\r/).map((line) => line.trimEnd()).filter(Boolean);
  return lines.at(-1) ?? '';
}

/**
 * The terminal view (stdout is a TTY, no --linewise/--json): listr2 with one entry per task named on the
 * command line and, under it, a lane per host showing its state, the command it runs, the last line of
 * output and transfer progress; a failed lane shows the error (command, exit code, tail of stderr).
 * Tasks started by execute() report into the lane of the host that called it.
 */
export class ListrReporter {
  private readonly entries: Entry[] = [];
  private readonly lanes = new Map<string, Lane>();
  /** Lanes of tasks run by execute(): the lane of the task and host that called it, by invocation. */
  private readonly callers = new Map<number, Lane>();
  private readonly warnings: string[] = [];
  private renderer: PausableRenderer | undefined;
  private running: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private topLevelSeen = 0;

  constructor(private readonly recorder: RunRecorder) {}

  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => this.handle(event));
  }

  private start(tasks: string[]): void {
    // A terminal that reports no size (a bare pty) would make listr2 wrap every line to nothing.
    if (!process.stdout.columns) process.stdout.columns = 80;
    for (const name of tasks) this.entries.push({ name, plan: deferred(), concurrency: 1 });
    PausableRenderer.whenCreated((renderer) => (this.renderer = renderer));
    const listr = new Listr<unknown, typeof PausableRenderer, typeof PausableRenderer>(
      this.entries.map((entry) => ({ title: entry.name, task: (_ctx, wrapper) => this.runEntry(entry, wrapper) })),
      {
        concurrent: false,
        exitOnError: false,
        registerSignalListeners: false,
        renderer: PausableRenderer,
        fallbackRendererCondition: false,
        rendererOptions: {
          collapseSubtasks: false,
          collapseErrors: false,
          showErrorMessage: true,
          collapseSkips: true,
          showSkipMessage: true,
          formatOutput: 'truncate',
          timer: PRESET_TIMER,
          // A task that failed on some host is a failure, not listr2's yellow "completed with warnings".
          icon: { [ListrDefaultRendererLogLevels.COMPLETED_WITH_FAILED_SUBTASKS]: figures.cross },
          color: { [ListrDefaultRendererLogLevels.COMPLETED_WITH_FAILED_SUBTASKS]: (text?: string | number) => color.red(String(text ?? '')) },
        },
      },
    );
    this.running = listr.run().catch(() => undefined);
    this.timer = setInterval(() => this.flushAll(), 100);
    this.timer.unref();
  }

  private async runEntry(entry: Entry, wrapper: Wrapper): Promise<Listr<unknown, typeof PausableRenderer, typeof PausableRenderer> | void> {
    const lanes = await entry.plan.promise;
    if (!lanes) return wrapper.skip(`${entry.name}: not run (the run stopped before this task)`);
    if (lanes.length === 1 && lanes[0]!.label === 'local') return this.runLane(lanes[0]!, wrapper, entry.name);
    const subtasks: ListrTask<unknown, typeof PausableRenderer, typeof PausableRenderer>[] = lanes.map((lane) => ({
      title: lane.label,
      task: (_ctx, laneWrapper) => this.runLane(lane, laneWrapper, lane.label),
    }));
    return wrapper.newListr(subtasks, { concurrent: entry.concurrency, exitOnError: false });
  }

  private async runLane(lane: Lane, wrapper: Wrapper, title: string): Promise<void> {
    lane.wrapper = wrapper;
    lane.title = title;
    lane.dirty = true;
    this.flush(lane);
    const end = await lane.end.promise;
    lane.command = '';
    lane.line = '';
    lane.progress = '';
    lane.dirty = true;
    this.flush(lane);
    // Lane messages sit two levels in, after a marker: keep them inside the terminal's width.
    if (end.status === 'failed') throw new Error(wrapLines(end.message, Math.max(20, (process.stdout.columns || 80) - 8)));
    if (end.status === 'skipped') wrapper.skip(`${title}: ${end.message}`);
  }

  private flush(lane: Lane): void {
    const wrapper = lane.wrapper;
    if (!wrapper || !lane.dirty) return;
    lane.dirty = false;
    wrapper.title = lane.running && lane.command ? `${lane.title}  ${lane.command}` : lane.title;
    const output = lane.progress || lane.line || lane.note;
    if (output !== (wrapper.output ?? '')) wrapper.output = output;
  }

  private flushAll(): void {
    for (const lane of this.lanes.values()) this.flush(lane);
  }

  /** The lane an operation's event belongs to, and the host label to prefix when it is a nested execute(). */
  private laneOf(host: string | undefined): { lane: Lane; prefix: string } | undefined {
    const where = this.recorder.laneKeyOf(host);
    if (!where) return undefined;
    const own = this.lanes.get(key(where.invocation, where.host));
    if (own) return { lane: own, prefix: '' };
    const caller = this.callers.get(where.invocation);
    return caller ? { lane: caller, prefix: `[${where.host ?? 'local'}] ` } : undefined;
  }

  handle(event: FabEvent): void {
    switch (event.kind) {
      case 'run-start':
        this.start(event.tasks);
        break;
      case 'task-plan': {
        if (event.parent) {
          const caller = this.lanes.get(key(event.parent.invocation, event.parent.host)) ?? this.callers.get(event.parent.invocation);
          if (!caller) break;
          this.callers.set(event.invocation, caller);
          caller.note = `execute ${event.task} on ${event.hosts.join(', ') || 'local'}`;
          caller.dirty = true;
          break;
        }
        const entry = this.entries[this.topLevelSeen++];
        if (!entry) break;
        const lanes = (event.hosts.length ? event.hosts : [undefined]).map((host) => {
          const lane = new Lane(host ?? 'local');
          this.lanes.set(key(event.invocation, host), lane);
          return lane;
        });
        entry.concurrency = event.concurrency;
        entry.plan.resolve(lanes);
        break;
      }
      case 'task-start': {
        const lane = event.invocation === undefined ? undefined : this.lanes.get(key(event.invocation, event.host));
        if (lane) {
          lane.running = true;
          lane.dirty = true;
        }
        break;
      }
      case 'task-end':
        this.taskEnd(event);
        break;
      case 'command': {
        const where = this.laneOf(event.host);
        if (!where || event.hidden) break;
        where.lane.command = `${where.prefix}${event.runner}: ${event.command}${event.dryRun ? ' (dry run)' : ''}`;
        where.lane.line = '';
        where.lane.dirty = true;
        break;
      }
      case 'output': {
        const where = this.laneOf(event.host);
        const line = lastLine(event.text);
        if (!where || event.hidden || !line) break;
        where.lane.line = `${where.prefix}${line}`;
        where.lane.dirty = true;
        break;
      }
      case 'transfer': {
        const where = this.laneOf(event.host);
        if (!where) break;
        const name = basename(event.direction === 'put' ? event.local : event.remote);
        const percent = event.total > 0 ? Math.floor((event.bytes / event.total) * 100) : 100;
        where.lane.progress = event.done ? '' : `${where.prefix}${event.direction} ${name} ${percent}% (${mebibytes(event.bytes)}/${mebibytes(event.total)} MiB)`;
        where.lane.dirty = true;
        break;
      }
      case 'status':
        if (!isHidden('status')) this.noteFor(event.host, event.message);
        break;
      case 'warning':
        if (!isHidden('warnings')) this.warnings.push(`${event.host ? `[${event.host}] ` : ''}Warning: ${event.message}`);
        break;
      case 'prompt':
        if (event.state === 'start') this.renderer?.pause();
        else this.renderer?.resume();
        break;
      case 'run-end':
        this.finishAll();
        break;
      default:
        break;
    }
  }

  private noteFor(host: string | undefined, message: string): void {
    const where = this.laneOf(host);
    if (!where) return;
    where.lane.line = `${where.prefix}${message}`;
    where.lane.dirty = true;
  }

  private taskEnd(event: Extract<FabEvent, { kind: 'task-end' }>): void {
    if (event.invocation === undefined) return;
    const lane = this.lanes.get(key(event.invocation, event.host));
    const status = event.status ?? (event.ok ? 'ok' : event.skipped ? 'skipped' : 'failed');
    if (!lane) {
      const caller = this.callers.get(event.invocation);
      if (caller) {
        caller.note = `execute ${event.task} on ${event.host ?? 'local'}: ${status}`;
        caller.dirty = true;
      }
      return;
    }
    lane.dirty = true;
    if (status === 'ok') lane.finish({ status: 'ok' });
    else if (status === 'skipped') lane.finish({ status: 'skipped', message: event.reason ?? 'skipped' });
    else lane.finish({ status: 'failed', message: event.detail ?? event.error ?? status });
  }

  /** The run is over: tasks never reached are skipped, lanes still open (an interrupt) closed. */
  private finishAll(): void {
    for (const entry of this.entries) entry.plan.resolve(undefined);
    for (const lane of this.lanes.values()) {
      lane.finish(lane.running ? { status: 'failed', message: 'interrupted (Ctrl-C)' } : { status: 'skipped', message: 'not run' });
    }
  }

  /** Waits for the view to draw its last frame; returns the warnings to print below it. */
  async finish(): Promise<string[]> {
    this.finishAll();
    await this.running;
    if (this.timer) clearInterval(this.timer);
    PausableRenderer.whenCreated(undefined);
    return this.warnings;
  }
}

function mebibytes(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}
