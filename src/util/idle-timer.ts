/** Calls onIdle once `ms` have passed since the last touch(); the timer never keeps the process alive. */
export class IdleTimer {
  private lastUse = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {}

  /** No onIdle from now on. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastUse = Number.POSITIVE_INFINITY;
  }

  touch(): void {
    if (this.lastUse === Number.POSITIVE_INFINITY) return;
    this.lastUse = performance.now();
    if (this.timer) return;
    const check = () => {
      const idleFor = performance.now() - this.lastUse;
      if (idleFor < this.ms) {
        this.timer = setTimeout(check, this.ms - idleFor).unref();
        return;
      }
      this.timer = undefined;
      this.onIdle();
    };
    this.timer = setTimeout(check, this.ms).unref();
  }
}
