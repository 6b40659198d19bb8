/** A counting semaphore: at most `limit` holders at once, the rest wait in order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private max: number) {}

  setLimit(limit: number): void {
    this.max = Math.max(1, limit);
    this.drain();
  }

  get limit(): number {
    return this.max;
  }

  get inUse(): number {
    return this.active;
  }

  /** How many are waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves a release function once a slot is free; an abort while waiting leaves the queue and rejects with the signal's reason. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active >= this.max) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const take = () => {
          signal?.removeEventListener('abort', leave);
          resolve();
        };
        const leave = () => {
          const index = this.waiting.indexOf(take);
          if (index !== -1) this.waiting.splice(index, 1);
          reject(signal!.reason);
        };
        this.waiting.push(take);
        signal?.addEventListener('abort', leave, { once: true });
      });
    } else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.drain();
    };
  }

  private drain(): void {
    while (this.active < this.max && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()!();
    }
  }
}
