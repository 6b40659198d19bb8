/** What a finished command gives back: `run`, `sudo` and `local` all return one. */
export class Result {
  /** The host the command ran on; `localhost` for `local()`. */
  readonly host: string;
  readonly command: string;
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; null when the process was ended by a signal or the channel closed without one. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
  /** True when `--dry-run` kept the command from running. */
  readonly dryRun: boolean;
  /** True when the output was longer than the capture limit and only its end was kept. */
  readonly truncated: boolean;
  /** Whether the exit status was accepted (0, or listed in okReturnCodes). */
  readonly ok: boolean;

  constructor(fields: {
    host: string;
    command: string;
    stdout: string;
    stderr: string;
    code: number | null;
    signal?: string | null;
    durationMs: number;
    ok: boolean;
    dryRun?: boolean;
    truncated?: boolean;
  }) {
    this.host = fields.host;
    this.command = fields.command;
    this.stdout = fields.stdout;
    this.stderr = fields.stderr;
    this.code = fields.code;
    this.signal = fields.signal ?? null;
    this.durationMs = fields.durationMs;
    this.ok = fields.ok;
    this.dryRun = fields.dryRun ?? false;
    this.truncated = fields.truncated ?? false;
  }

  get failed(): boolean {
    return !this.ok;
  }

  /** stdout without its trailing newline, so `${await run('hostname')}` reads naturally. */
  toString(): string {
    return this.stdout.replace(/\r?\n$/, '');
  }

  toJSON() {
    return {
      host: this.host,
      command: this.command,
      code: this.code,
      signal: this.signal,
      ok: this.ok,
      durationMs: Math.round(this.durationMs),
      stdout: this.stdout,
      stderr: this.stderr,
      dryRun: this.dryRun,
      truncated: this.truncated,
    };
  }
}
