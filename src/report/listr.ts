import { Listr, ListrDefaultRendererLogLevels, PRESET_TIMER, color, figures, type ListrTask, type ListrTaskWrapper } from 'listr2';
import type { EventBus, FabEvent } from './events.ts';
import { KEPT_OUTPUT_LINES, LaneBoard, type BatchGroup, type Entry, type Lane } from './lanes.ts';
import { PausableRenderer } from './listr-renderer.ts';
import type { RunRecorder } from './record.ts';

type Wrapper = ListrTaskWrapper<unknown, typeof PausableRenderer, typeof PausableRenderer>;
type View = Listr<unknown, typeof PausableRenderer, typeof PausableRenderer>;

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

/**
 * The terminal view (stdout is a TTY, no --linewise/--json): listr2 with one entry per task named on the
 * command line and, under it, a lane per host showing its state, the command it runs, the last line of
 * output and transfer progress; a failed lane shows the error (command, exit code, tail of stderr).
 * Lanes redraw at most every 100 ms however much output arrives. The view steps aside while a question
 * is asked at the terminal (prompt events).
 */
export class ListrReporter {
  private readonly board: LaneBoard;
  /** The listr2 task drawing each lane, and its title. */
  private readonly drawn = new Map<Lane, { wrapper: Wrapper; title: string }>();
  /** Entries whose plan has not come yet (their title says what they wait for: a deploy lock). */
  private readonly entriesWaiting = new Map<Entry, Wrapper>();
  /** The listr2 task drawing each batch's gate row while it waits. */
  private readonly gatesDrawn = new Map<BatchGroup, { wrapper: Wrapper; invocation: number }>();
  private renderer: PausableRenderer | undefined;
  private prompting = false;
  private running: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(recorder: RunRecorder) {
    this.board = new LaneBoard(recorder);
  }

  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => this.handle(event));
  }

  handle(event: FabEvent): void {
    if (event.kind === 'run-start') {
      this.board.start(event.tasks);
      this.start();
    } else if (event.kind === 'prompt') {
      // Remembered, for a question asked before listr2 has made its renderer.
      this.prompting = event.state === 'start';
      if (this.prompting) this.renderer?.pause();
      else this.renderer?.resume();
    } else if (event.kind === 'run-end') {
      this.board.finishAll();
    } else {
      this.board.handle(event);
    }
  }

  private start(): void {
    // A terminal that reports no size (a bare pty) would make listr2 wrap every line to nothing.
    if (!process.stdout.columns) process.stdout.columns = 80;
    PausableRenderer.whenCreated((renderer) => {
      this.renderer = renderer;
      if (this.prompting) renderer.pause();
    });
    const view: View = new Listr(
      this.board.entries.map((entry) => ({ title: entry.name, task: (_ctx, wrapper) => this.runEntry(entry, wrapper), rendererOptions: { persistentOutput: true } })),
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
    this.running = view.run().catch(() => undefined);
    this.timer = setInterval(() => this.drawAll(), 100);
    this.timer.unref();
  }

  private async runEntry(entry: Entry, wrapper: Wrapper): Promise<View | void> {
    this.entriesWaiting.set(entry, wrapper);
    const lanes = await entry.plan.promise;
    this.entriesWaiting.delete(entry);
    if (wrapper.title !== entry.name) wrapper.title = entry.name;
    if (!lanes) return wrapper.skip(`${entry.name}: not run (the run stopped before this task)`);
    // A task that runs once, locally, has no lanes: its entry shows what the lane would.
    if (lanes.length === 1 && lanes[0]!.label === 'local') return this.runLane(lanes[0]!, wrapper, entry.name, KEPT_OUTPUT_LINES);
    // A frame taller than the terminal cannot be redrawn in place: with many lanes, fewer kept lines each.
    const rows = process.stdout.rows || 24;
    const kept = Math.max(0, Math.min(KEPT_OUTPUT_LINES, Math.floor(rows / lanes.length) - 2));
    if (entry.batches) return this.runBatches(entry, wrapper, kept);
    const subtasks: ListrTask<unknown, typeof PausableRenderer, typeof PausableRenderer>[] = lanes.map((lane) => ({
      title: lane.label,
      task: (_ctx, laneWrapper) => this.runLane(lane, laneWrapper, lane.label, kept),
      rendererOptions: { persistentOutput: true },
    }));
    return wrapper.newListr(subtasks, { concurrent: entry.concurrency, exitOnError: false });
  }

  /** A rolling task: one group per batch, in order, each with its lanes and, with a gate, a row for it. */
  private runBatches(entry: Entry, wrapper: Wrapper, kept: number): View {
    const invocation = entry.invocation ?? 0;
    const gated = this.board.gateOf(invocation) !== undefined;
    const width = typeof entry.concurrency === 'number' ? entry.concurrency : 1;
    const groups: ListrTask<unknown, typeof PausableRenderer, typeof PausableRenderer>[] = entry.batches!.map((group) => ({
      title: group.title,
      task: (_ctx, groupWrapper) =>
        groupWrapper.newListr(
          [
            ...group.lanes.map((lane) => ({ title: lane.label, task: (_c: unknown, laneWrapper: Wrapper) => this.runLane(lane, laneWrapper, lane.label, kept), rendererOptions: { persistentOutput: true } })),
            ...(gated ? [{ title: this.board.gateTitle(invocation, group), task: (_c: unknown, gateWrapper: Wrapper) => this.runGate(invocation, group, gateWrapper) }] : []),
          ],
          // The gate row waits for the batch's end beside the lanes: one more at once, so no lane waits for it.
          { concurrent: gated ? width + 1 : width, exitOnError: false },
        ),
    }));
    return wrapper.newListr(groups, { concurrent: false, exitOnError: false });
  }

  private async runGate(invocation: number, group: BatchGroup, wrapper: Wrapper): Promise<void> {
    this.gatesDrawn.set(group, { wrapper, invocation });
    await group.ended.promise;
    // The lanes' gate results came after the lanes ended: drawn now, before this row ends and listr draws its last frame.
    this.drawAll();
    this.gatesDrawn.delete(group);
    wrapper.title = this.board.gateTitle(invocation, group);
    const failed = [...group.gates].filter(([, gate]) => !gate.ok);
    if (failed.length) throw new Error(failed.map(([host, gate]) => `${host}: ${gate.message}`).join('\n'));
    if (group.gates.size === 0) wrapper.skip('gate: not checked');
  }

  private async runLane(lane: Lane, wrapper: Wrapper, title: string, keptLines: number): Promise<void> {
    this.drawn.set(lane, { wrapper, title });
    lane.dirty = true;
    this.draw(lane);
    const end = await lane.end.promise;
    for (const field of ['command', 'line', 'progress'] as const) lane.set(field, '');
    this.draw(lane);
    // What the host said stays under a finished lane; a failed one shows its error (with the stderr tail) instead.
    wrapper.output = end.status === 'ok' ? lane.outputTail(keptLines) : '';
    // Lane messages sit two levels in, after a marker: keep them inside the terminal's width.
    if (end.status === 'failed') throw new Error(wrapLines(end.message, Math.max(20, (process.stdout.columns || 80) - 8)));
    if (end.status === 'skipped') wrapper.skip(`${title}: ${end.message}`);
  }

  private draw(lane: Lane): void {
    const drawn = this.drawn.get(lane);
    if (!drawn || !lane.dirty) return;
    lane.dirty = false;
    drawn.wrapper.title = lane.running && lane.command ? `${drawn.title}  ${lane.command}` : lane.gate ? `${drawn.title}  ${lane.gate}` : drawn.title;
    const output = lane.progress || lane.line || lane.note;
    if (output !== (drawn.wrapper.output ?? '')) drawn.wrapper.output = output;
  }

  private drawAll(): void {
    for (const lane of this.drawn.keys()) this.draw(lane);
    for (const [entry, wrapper] of this.entriesWaiting) {
      const title = entry.note ? `${entry.name}  ${entry.note}` : entry.name;
      if (wrapper.title !== title) wrapper.title = title;
    }
    for (const [group, { wrapper, invocation }] of this.gatesDrawn) {
      if (!group.dirty) continue;
      group.dirty = false;
      wrapper.title = this.board.gateTitle(invocation, group);
    }
  }

  /** Waits for the view to draw its last frame; returns the warnings to print below it. */
  async finish(): Promise<string[]> {
    this.board.finishAll();
    await this.running;
    if (this.timer) clearInterval(this.timer);
    PausableRenderer.whenCreated(undefined);
    return this.board.warnings;
  }
}
