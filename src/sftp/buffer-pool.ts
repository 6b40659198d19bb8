/**
 * Requests kept in flight per file. With OpenSSH's 255 KiB chunks, 32 requests are 8 MiB in flight: enough
 * to keep the channel window (2 MiB each way in ssh2 and sshd) full, with room for the latency of a gateway.
 */
export const REQUESTS_IN_FLIGHT = 32;

/**
 * Request buffers of one SFTP session, reused from request to request and from file to file (a directory
 * moves many files), so that the steady state of a transfer allocates nothing: see fast-path.ts for why that
 * matters. The spare ones are dropped as soon as no transfer runs on the session.
 */
export class BufferPool {
  private spare: Buffer[] = [];
  private running = 0;

  constructor(private readonly maxSpare: number) {}

  /** A buffer of at least `size` bytes (exactly `size` when new). */
  take(size: number): Buffer {
    for (let i = this.spare.length - 1; i >= 0; i--) {
      const buffer = this.spare[i]!;
      if (buffer.length >= size) {
        this.spare[i] = this.spare[this.spare.length - 1]!;
        this.spare.pop();
        return buffer;
      }
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** Hands a buffer back once nothing refers to it any more (its request was answered). */
  give(buffer: Buffer): void {
    if (this.running > 0 && this.spare.length < this.maxSpare) this.spare.push(buffer);
  }

  /** Runs a transfer; the spare buffers go when the last one running ends. */
  async during<T>(transfer: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await transfer();
    } finally {
      if (--this.running === 0) this.spare = [];
    }
  }
}
