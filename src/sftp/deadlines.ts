/**
 * The deadline of an SFTP session's requests (env.sftpTimeout): one timer for all of them, however many are in flight.
 * A request unanswered for `timeoutMs` while the server answered nothing else either is past its deadline; then every
 * request in flight fails and the session is given up (`expire`), since a server that ignores one request cannot be
 * trusted with the rest. Answers to other requests count as life, so a pipelined transfer over a slow link (its last
 * request queued behind megabytes of earlier ones) is not cut off.
 */
interface Pending {
  started: number;
  fail: (why: string) => void;
}

export class RequestDeadlines {
  timeoutMs = 60_000;
  private readonly pending = new Map<number, Pending>();
  private lastId = 0;
  private lastAnswer = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly expire: () => void) {}

  /** Starts the clock for one request; call the returned function when it is answered. */
  add(fail: (why: string) => void): () => void {
    const id = ++this.lastId;
    this.pending.set(id, { started: performance.now(), fail });
    this.timer ??= setInterval(() => this.check(), Math.max(100, Math.min(1000, this.timeoutMs / 4))).unref();
    return () => {
      this.pending.delete(id);
      this.lastAnswer = performance.now();
    };
  }

  private check(): void {
    const oldest = this.pending.values().next().value;
    if (oldest !== undefined && performance.now() - Math.max(oldest.started, this.lastAnswer) < this.timeoutMs) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (oldest === undefined) return;
    const why = `the SFTP server did not answer within ${this.timeoutMs / 1000}s (env.sftpTimeout); the SFTP session is dropped`;
    for (const request of this.pending.values()) request.fail(why);
    this.pending.clear();
    this.expire();
  }
}
