import { events } from '../../report/events.ts';

/** At most this often a running transfer reports its bytes: reporters redraw from events, not per chunk. */
export const PROGRESS_INTERVAL_MS = 200;

export interface TransferSubject {
  host: string;
  direction: 'put' | 'get';
  local: string;
  remote: string;
}

/**
 * Emits `transfer` events for one file: one at the start, then at most every PROGRESS_INTERVAL_MS,
 * then one with done: true (with `error` when it failed). `total` is -1 while the size is unknown (a stream).
 */
export class TransferProgress {
  private last = 0;
  private bytes = 0;

  constructor(
    private readonly subject: TransferSubject,
    private total: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  start(): void {
    this.last = this.now();
    this.emit(false);
  }

  update = (bytes: number): void => {
    this.bytes = bytes;
    const now = this.now();
    if (now - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = now;
    this.emit(false);
  };

  finish(bytes: number): void {
    this.bytes = bytes;
    this.total = bytes;
    this.emit(true);
  }

  fail(error: unknown): void {
    this.emit(true, error instanceof Error ? error.message : String(error));
  }

  private emit(done: boolean, error?: string): void {
    events.emit({ kind: 'transfer', ...this.subject, bytes: this.bytes, total: this.total, done, ...(error !== undefined ? { error } : {}) });
  }
}

/** Runs one file's transfer with its progress events: start, updates (through the callback), done or failed. */
export async function trackTransfer<T extends { bytes: number }>(subject: TransferSubject, total: number, move: (onProgress: (bytes: number) => void) => Promise<T>): Promise<T> {
  const progress = new TransferProgress(subject, total);
  progress.start();
  try {
    const result = await move(progress.update);
    progress.finish(result.bytes);
    return result;
  } catch (error) {
    progress.fail(error);
    throw error;
  }
}
