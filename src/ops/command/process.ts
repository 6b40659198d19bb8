import type { Readable } from 'node:stream';

/** A started process, local or remote: the only things the shared IO loop needs from a backend. */
export interface CommandProcess {
  stdout: Readable;
  /** Absent with a pty, where stderr arrives mixed into stdout. */
  stderr: Readable | undefined;
  write(data: string | Buffer): void;
  endInput(): void;
  /** Settles when the process has exited and its output streams have ended. */
  exit: Promise<{ code: number | null; signal: string | null }>;
  /** Ends the process (and, remotely, its channel). */
  terminate(): void;
}
