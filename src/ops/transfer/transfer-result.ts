import { events, type Runner } from '../../report/events.ts';
import { isHidden } from '../../report/levels.ts';
import { Result } from '../command/result.ts';

/** One file moved by put() or get(). `local` is `<buffer>` / `<stream>` for data uploaded from memory. */
export interface TransferredFile {
  local: string;
  remote: string;
  bytes: number;
  /** Permission bits the written file got. */
  mode: number;
}

/** What put() and get() give back: every file they wrote, on which host, and whether it was a dry run. */
export class TransferResult {
  readonly host: string;
  readonly direction: 'put' | 'get';
  readonly files: readonly TransferredFile[];
  readonly dryRun: boolean;
  readonly durationMs: number;

  constructor(fields: { host: string; direction: 'put' | 'get'; files: TransferredFile[]; dryRun?: boolean; durationMs: number }) {
    this.host = fields.host;
    this.direction = fields.direction;
    this.files = fields.files;
    this.dryRun = fields.dryRun ?? false;
    this.durationMs = fields.durationMs;
  }

  /** The paths written, as Fabric returns them: remote paths for put, local paths for get. */
  get paths(): string[] {
    return this.files.map((file) => (this.direction === 'put' ? file.remote : file.local));
  }

  get bytes(): number {
    return this.files.reduce((sum, file) => sum + file.bytes, 0);
  }

  toJSON() {
    return { host: this.host, direction: this.direction, files: this.files, bytes: this.bytes, dryRun: this.dryRun, durationMs: Math.round(this.durationMs) };
  }
}

/**
 * Under --dry-run, a write that is not made: reported like a command that did not run (`[web1] put: a -> b (dry run)`),
 * with a command-end carrying a Result marked dry-run, as run()/sudo() do.
 */
export function reportDryRun(runner: Runner, host: string, description: string): void {
  events.emit({ kind: 'command', host, runner, command: description, dryRun: true, hidden: isHidden('running') });
  const result = new Result({ host, command: description, stdout: '', stderr: '', code: 0, durationMs: 0, ok: true, dryRun: true });
  events.emit({ kind: 'command-end', host, runner, result });
}
