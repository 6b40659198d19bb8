import type { Result } from './ops/command/result.ts';

/** Exit statuses of the `fab` command (API.md). */
export const ExitCode = {
  ok: 0,
  taskFailed: 1,
  usage: 2,
  loadFailed: 3,
  interrupted: 130,
} as const;

export type FabErrorCode =
  | 'USAGE'
  | 'NO_FABFILE'
  | 'UNKNOWN_TASK'
  | 'BAD_HOST'
  | 'BAD_ARGUMENT'
  | 'BAD_CONFIG'
  /** A fabfile or config that fab found by searching is owned by another user, or in a directory others may write to. */
  | 'UNTRUSTED_FILE'
  | 'LOAD_FAILED'
  | 'COMMAND_FAILED'
  | 'CONNECT_FAILED'
  /** An open connection died under an operation: the host was reached, so --skip-bad-hosts does not skip it. */
  | 'CONNECTION_LOST'
  | 'AUTH_FAILED'
  | 'HOST_KEY'
  | 'SUDO_PASSWORD'
  | 'TIMEOUT'
  | 'NO_HOST'
  | 'PROMPT'
  | 'ABORT'
  | 'INTERRUPTED'
  | 'REMOTE_FS'
  /** The server has no SFTP subsystem: put/get fall back to exec channels, other file operations cannot. */
  | 'NO_SFTP'
  | 'TRANSFER'
  /** A deploy lock is held by another run, or could not be taken or kept. */
  | 'LOCK_HELD'
  | 'LOCK_FAILED'
  | 'LOCK_LOST'
  /** A rolling task's health gate failed on a host. */
  | 'GATE_FAILED';

/**
 * Every error a user can cause. `message` is one line that says what went wrong and what to do;
 * `host` names where it happened; `exitCode` is what `fab` exits with when this error ends the run.
 */
export class FabError extends Error {
  override name = 'FabError';
  readonly code: FabErrorCode;
  readonly exitCode: number;
  host: string | undefined;

  constructor(code: FabErrorCode, message: string, options: { host?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.host = options.host;
    this.exitCode = options.exitCode ?? ExitCode.taskFailed;
  }
}

/** Bad command line, unknown task, bad host string, bad config: exit 2. */
export class UsageError extends FabError {
  override name = 'UsageError';
  constructor(message: string, code: FabErrorCode = 'USAGE', options: { host?: string; cause?: unknown } = {}) {
    super(code, message, { ...options, exitCode: ExitCode.usage });
  }
}

/** The fabfile could not be imported: exit 3. */
export class LoadError extends FabError {
  override name = 'LoadError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('LOAD_FAILED', message, { ...options, exitCode: ExitCode.loadFailed });
  }
}

/** A command exited with a status that was not accepted. Carries the whole Result. */
export class CommandError extends FabError {
  override name = 'CommandError';
  readonly result: Result;
  constructor(result: Result, message: string) {
    super('COMMAND_FAILED', message, { host: result.host });
    this.result = result;
  }
}

/** `abort(msg)` from a fabfile. */
export class AbortError extends FabError {
  override name = 'AbortError';
  constructor(message: string, host?: string) {
    super('ABORT', message, host === undefined ? {} : { host });
  }
}

export function isFabError(error: unknown): error is FabError {
  return error instanceof FabError;
}

/** One line for the user: FabErrors as they are, anything else by its message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] || error.name;
  return String(error);
}
