import { FabError, type FabErrorCode } from '../../errors.ts';
import { SFTP_STATUS, SftpError } from '../../sftp/session.ts';

/** Operations whose permission problems sudo can solve: their hint names useSudo. */
const SUDO_CAPABLE = new Set(['put', 'get', 'writeFile', 'exists', 'isDir', 'isLink', 'append', 'contains', 'sed', 'comment', 'uncomment', 'uploadTemplate', 'first']);
const WRITES = new Set(['put', 'writeFile', 'mkdir', 'remove', 'rename', 'append', 'sed', 'comment', 'uncomment', 'uploadTemplate']);

function remoteReason(op: string, error: SftpError): { reason: string; hint: string | undefined } {
  switch (error.status) {
    case SFTP_STATUS.NO_SUCH_FILE:
      if (error.op === 'open' && WRITES.has(op)) {
        return { reason: 'its directory does not exist', hint: 'make it first: mkdir(dir, { parents: true })' };
      }
      return { reason: 'no such file or directory', hint: 'check the path' };
    case SFTP_STATUS.PERMISSION_DENIED:
      return { reason: 'permission denied', hint: undefined };
    case SFTP_STATUS.NO_CONNECTION:
    case SFTP_STATUS.CONNECTION_LOST:
      return { reason: 'the connection was lost', hint: 'try again' };
    case SFTP_STATUS.OP_UNSUPPORTED:
      return { reason: `the SFTP server does not support ${error.op}`, hint: undefined };
    case undefined:
      if (/No response from server|channel|closed/i.test(error.message)) return { reason: 'the connection was lost', hint: 'try again' };
      return { reason: error.message, hint: undefined };
    default:
      if (/^no space left/.test(error.message)) return { reason: error.message, hint: 'free some space there, or write elsewhere' };
      if (error.message.toLowerCase() !== 'failure') return { reason: error.message, hint: undefined };
      // SFTP v3 says only "Failure" for ENOSPC, EEXIST, EIO...: say what was tried, and the likely cause of a failed write.
      return { reason: `${error.op} failed`, hint: error.op === 'write' ? 'is the disk full?' : undefined };
  }
}

function deniedHint(op: string, sudoCapable: boolean): string {
  const writing = WRITES.has(op);
  if (sudoCapable) return writing ? 'use { useSudo: true } or a writable path' : 'use { useSudo: true }';
  return writing ? 'use a writable path, or sudo()' : 'use sudo()';
}

const LOCAL_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on the local disk',
  EEXIST: 'already exists',
};

/**
 * One line for a failed file operation: what, on which host, which path, why, and what to do
 * (`put on web1: /srv/x: permission denied; use { useSudo: true } or a writable path`).
 */
export function fileError(op: string, host: string, error: unknown, options: { code?: FabErrorCode; path?: string } = {}): FabError {
  if (error instanceof FabError) return error;
  const code = options.code ?? 'REMOTE_FS';
  if (error instanceof SftpError) {
    const { reason, hint } = remoteReason(op, error);
    const advice = error.denied ? deniedHint(op, SUDO_CAPABLE.has(op)) : hint;
    const path = options.path ?? error.path;
    return new FabError(code, `${op} on ${host}: ${path}: ${reason}${advice ? `; ${advice}` : ''}`, { host, cause: error });
  }
  const local = error as NodeJS.ErrnoException;
  if (local && typeof local.code === 'string' && local.code in LOCAL_REASONS) {
    const path = options.path ?? local.path ?? '';
    const advice = local.code === 'ENOENT' ? '; check the path (relative local paths start at lcd() or the current directory)' : '';
    return new FabError(code, `${op} on ${host}: local ${path}: ${LOCAL_REASONS[local.code]}${advice}`, { host, cause: error });
  }
  if (local instanceof Error && local.message === 'interrupted') {
    return new FabError('INTERRUPTED', `${op} on ${host}: interrupted`, { host, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new FabError(code, `${op} on ${host}: ${options.path ? `${options.path}: ` : ''}${message}`, { host, cause: error });
}

/** A mistake in how an operation was called (bad arguments, a directory where a file must be). */
export function fileUsage(op: string, host: string, message: string, code: FabErrorCode = 'REMOTE_FS'): FabError {
  return new FabError(code, `${op} on ${host}: ${message}`, { host });
}
