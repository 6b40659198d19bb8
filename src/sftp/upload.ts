import { posix } from 'node:path';
import type { Stats } from 'ssh2';
import { registerCleanup } from '../util/cleanup.ts';
import { writeAll, type PipelineOptions } from './pipeline.ts';
import { SFTP_STATUS, SftpError, permissionBits, type SftpSession } from './session.ts';
import type { ByteSource } from './sources.ts';
import { tempNameBeside } from './temp-names.ts';

/** Mode of a new file when nothing says otherwise (what `umask 022` gives). */
export const DEFAULT_FILE_MODE = 0o644;

export interface AtomicUploadOptions extends PipelineOptions {
  /** Permission bits of the result; default: those of the file replaced, else 0644. */
  mode?: number;
  /** The target's directory was just made by this transfer: nothing is there to resolve or replace. */
  fresh?: boolean;
}

export interface AtomicUploadResult {
  /** The file written: the target, or the file a symlink target points to. */
  path: string;
  bytes: number;
  mode: number;
  /** False when the replaced file belonged to another user or group and that could not be kept. */
  ownerKept: boolean;
}

/**
 * Where writing to `target` must land (through a symlink, to the file it names, as writing in place would),
 * and what is there now: one lstat when the target is not a link (lstat and stat then agree).
 */
async function resolveTarget(session: SftpSession, target: string): Promise<{ path: string; replaced: Stats | undefined }> {
  const link = await session.statOrNone(target, false);
  if (!link?.isSymbolicLink()) return { path: target, replaced: link };
  let path: string;
  try {
    path = await session.realpath(target);
  } catch {
    // A dangling link: write the file it names.
    const pointee = await session.readlink(target);
    path = posix.resolve(posix.dirname(target), pointee);
  }
  return { path, replaced: await session.statOrNone(path) };
}

/** Gives the temp file the replaced file's owner and group; false when the server refuses (not root). */
async function keepOwner(session: SftpSession, handle: Buffer, temp: string, replaced: Stats): Promise<boolean> {
  try {
    await session.fsetstat(handle, temp, { uid: replaced.uid, gid: replaced.gid });
    return true;
  } catch {
    return false;
  }
}

/**
 * SFTP v3 says only "Failure" when a write fails: when the file system holding the file has less room left
 * than one more write request, say that the disk is full (asked before the temp file is removed and frees it).
 */
async function explainWriteFailure(session: SftpSession, handle: Buffer | undefined, path: string, error: unknown): Promise<unknown> {
  if (!handle || !(error instanceof SftpError) || error.op !== 'write' || error.status !== SFTP_STATUS.FAILURE) return error;
  const free = await session.freeBytes(handle, path).catch(() => undefined);
  if (free === undefined || free >= session.writeChunk) return error;
  return new SftpError('write', error.path, error.status, `no space left on the device (${free} bytes free)`);
}

/**
 * Uploads to a temporary name beside the target and renames it into place only once every byte is
 * confirmed and the size checked, so readers see the old file or the new one, never a part. On failure,
 * and on interrupt (see util/cleanup.ts), the temp file is removed and the old file stays as it was.
 */
export async function uploadAtomically(session: SftpSession, source: ByteSource, target: string, options: AtomicUploadOptions = {}): Promise<AtomicUploadResult> {
  const { path, replaced } = options.fresh ? { path: target, replaced: undefined } : await resolveTarget(session, target);
  if (replaced?.isDirectory()) throw new SftpError('open', path, undefined, 'is a directory');
  const mode = options.mode ?? (replaced ? permissionBits(replaced) : DEFAULT_FILE_MODE);
  const temp = tempNameBeside(path, '.tmp');
  const cancel = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, cancel.signal]) : cancel.signal;
  // Errors name the target, not the temp name the user never asked for.
  const aboutTarget = (error: unknown) => (error instanceof SftpError && error.path === temp ? new SftpError(error.op, path, error.status, error.message) : error);
  // Made with the final permission bits (no one may read it who could not read the result), so that a new file
  // usually needs no fsetstat: the server's umask may take bits away, and fsetstat below then sets them exactly.
  const opened = await session.open(temp, 'wx', { mode: mode & 0o777 }).catch((error) => Promise.reject(aboutTarget(error)));
  let handle: Buffer | undefined = opened;
  const unregister = registerCleanup(async () => {
    cancel.abort(new Error('interrupted'));
    await session.unlink(temp).catch(() => {});
  });
  try {
    const bytes = await writeAll(session, opened, temp, source, { ...options, signal });
    const written = await session.fstat(opened, temp);
    if (written.size !== bytes) throw new SftpError('write', path, undefined, `the server has ${written.size} bytes where ${bytes} were sent`);
    const ownerChanged = replaced !== undefined && (written.uid !== replaced.uid || written.gid !== replaced.gid);
    const ownerKept = ownerChanged ? await keepOwner(session, opened, temp, replaced) : true;
    // After a change of owner (which may clear setuid/setgid bits), and whenever the bits differ.
    if (ownerChanged || permissionBits(written) !== mode) await session.fsetstat(opened, temp, { mode });
    handle = undefined;
    await session.close(opened, temp);
    await session.rename(temp, path);
    return { path, bytes, mode, ownerKept };
  } catch (failure) {
    const error = await explainWriteFailure(session, handle, temp, failure);
    if (handle) await session.close(handle, temp).catch(() => {});
    await session.unlink(temp).catch(() => {});
    throw aboutTarget(error);
  } finally {
    unregister();
  }
}

/** Writes a file as is (a staging copy nobody else reads): no temp name, size checked. */
export async function uploadPlain(session: SftpSession, source: ByteSource, path: string, options: AtomicUploadOptions = {}): Promise<number> {
  const handle = await session.open(path, 'w', { mode: options.mode ?? 0o600 });
  let bytes: number;
  try {
    bytes = await writeAll(session, handle, path, source, options);
    const written = await session.fstat(handle, path);
    if (written.size !== bytes) throw new SftpError('write', path, undefined, `the server has ${written.size} bytes where ${bytes} were sent`);
  } catch (failure) {
    const error = await explainWriteFailure(session, handle, path, failure);
    await session.close(handle, path).catch(() => {});
    throw error;
  }
  await session.close(handle, path);
  return bytes;
}
