import { DefaultRenderer } from 'listr2';

/** The parts of listr2's DefaultRenderer (v9) that pausing needs; private in its typings. */
interface RendererInternals {
  spinner: { start(callback: () => void, interval?: number): void; stop(): void };
  updater?: { clear(): void };
  logger: { process: { hijack(): void; release(): void } };
}

/** Created renderers, so the reporter can reach the one listr2 instantiated. */
type Created = (renderer: PausableRenderer) => void;
let onCreate: Created | undefined;

/**
 * listr2's default renderer, able to step aside while someone is asked a question at the terminal: it
 * stops redrawing, erases its frame and hands stdout/stderr back (flushing what tasks printed meanwhile),
 * then takes over again.
 */
export class PausableRenderer extends DefaultRenderer {
  private paused = false;
  /** render() takes the terminal only after loading its modules: a pause may come before that. */
  private rendered = false;

  constructor(...args: ConstructorParameters<typeof DefaultRenderer>) {
    super(...args);
    onCreate?.(this);
  }

  static whenCreated(callback: Created | undefined): void {
    onCreate = callback;
  }

  private get internals(): RendererInternals {
    return this as unknown as RendererInternals;
  }

  override async render(): Promise<void> {
    await super.render();
    this.rendered = true;
    // Someone was asked (or got a shell) before the view was drawn: step aside at once.
    if (this.paused) this.stepAside();
  }

  override update(): void {
    if (!this.paused) super.update();
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    if (this.rendered) this.stepAside();
  }

  private stepAside(): void {
    this.internals.spinner.stop();
    this.internals.updater?.clear();
    this.internals.logger.process.release();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (!this.rendered) return;
    this.internals.logger.process.hijack();
    this.internals.spinner.start(() => this.update());
  }

  override end(): void {
    // A prompt still open at the end (an interrupt): take the terminal back so end() can release it once.
    if (this.paused) {
      this.paused = false;
      this.internals.logger.process.hijack();
    }
    super.end();
  }
}
