import type { Writable } from 'node:stream';
import type { TerminalInput } from '../ops/interactive/terminal.ts';

/** Where a `fab` command reads and writes: the process's streams (bin.ts), or a test's own. */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  cwd: string;
  home?: string;
  /** Aborted by the first Ctrl-C: running commands are ended and the summary so far printed. */
  signal?: AbortSignal;
  /** Where answers to prompts and an interactive shell's keys come from; absent: no one can answer. */
  stdin?: TerminalInput;
}
