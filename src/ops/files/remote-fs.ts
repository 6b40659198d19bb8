import type { Stats } from 'ssh2';
import { readWhole } from '../../sftp/download.ts';
import { SftpError, type SftpSession } from '../../sftp/session.ts';
import { ensureRemoteDir, removeRemoteTree } from '../../sftp/tree.ts';
import type { CurrentHost } from '../../env/context.ts';
import { fileError, fileUsage } from '../file-access/fs-errors.ts';
import { resolveRemotePath } from '../file-access/paths.ts';
import { upload, type PutOptions } from '../transfer/put.ts';
import { parseMode } from '../transfer/put-plan.ts';
import { quote } from '../quoting/quote.ts';
import { isDryRun, privileged, sftpOnHost } from '../file-access/sftp-host.ts';
import { reportDryRun, type TransferResult } from '../transfer/transfer-result.ts';

/** A remote file's metadata, from SFTP stat (or lstat, with `followLinks: false`). */
export interface RemoteStat {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  uid: number;
  gid: number;
  atime: Date;
  mtime: Date;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

function remoteStat(path: string, stats: Stats): RemoteStat {
  const type = stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'symlink' : 'other';
  return {
    path,
    type,
    size: stats.size,
    mode: stats.mode & 0o7777,
    uid: stats.uid,
    gid: stats.gid,
    atime: new Date(stats.atime * 1000),
    mtime: new Date(stats.mtime * 1000),
    isFile: () => type === 'file',
    isDirectory: () => type === 'directory',
    isSymbolicLink: () => type === 'symlink',
  };
}

/** Runs a file operation on the current host's SFTP session with its path resolved; failures become one-line FabErrors. */
async function onRemote<T>(op: string, path: string, fn: (session: SftpSession, resolved: string, host: CurrentHost) => Promise<T>): Promise<T> {
  const { host, session } = await sftpOnHost(op);
  if (typeof path !== 'string' || path === '') throw fileUsage(op, host.text, 'give a remote path', 'BAD_ARGUMENT');
  try {
    return await fn(session, await resolveRemotePath(session, path), host);
  } catch (error) {
    throw fileError(op, host.text, error);
  }
}

/** The names in a remote directory (no `.` or `..`), sorted. */
export function listdir(path = '.'): Promise<string[]> {
  return onRemote('listdir', path, async (session, resolved) => (await session.readdir(resolved)).map((entry) => entry.filename).sort());
}

/** A remote path's metadata; `followLinks: false` describes a symlink itself. */
export function stat(path: string, options: { followLinks?: boolean } = {}): Promise<RemoteStat> {
  return onRemote('stat', path, async (session, resolved) => remoteStat(resolved, await (options.followLinks === false ? session.lstat(resolved) : session.stat(resolved))));
}

export interface TestOptions {
  /** Ask as root (sudo test ...): for paths the login user cannot see. */
  useSudo?: boolean;
}

async function test(op: string, path: string, options: TestOptions, sudoFlag: string, check: (stats: Stats | undefined) => boolean, follow = true): Promise<boolean> {
  return onRemote(op, path, async (session, resolved, host) => {
    if (options.useSudo) {
      const { code } = await privileged(op, host.text, `test ${sudoFlag} ${quote(resolved)}`, { readOnly: true, okCodes: [1] });
      return code === 0;
    }
    return check(await session.statOrNone(resolved, follow));
  });
}

/** Whether a remote path exists (a dangling symlink does not). */
export function exists(path: string, options: TestOptions = {}): Promise<boolean> {
  return test('exists', path, options, '-e', (stats) => stats !== undefined);
}

export function isDir(path: string, options: TestOptions = {}): Promise<boolean> {
  return test('isDir', path, options, '-d', (stats) => stats?.isDirectory() ?? false);
}

export function isLink(path: string, options: TestOptions = {}): Promise<boolean> {
  return test('isLink', path, options, '-L', (stats) => stats?.isSymbolicLink() ?? false, false);
}

/** Makes a remote directory; `parents` makes missing parents and accepts an existing directory (mkdir -p). */
export function mkdir(path: string, options: { parents?: boolean; mode?: number | string } = {}): Promise<void> {
  return onRemote('mkdir', path, async (session, resolved, host) => {
    const mode = parseMode(options.mode, 'mkdir', host.text);
    if (isDryRun()) return reportDryRun('sftp', host.text, `mkdir ${options.parents ? '-p ' : ''}${mode !== undefined ? `-m ${mode.toString(8)} ` : ''}${resolved}`);
    const created = options.parents ? await ensureRemoteDir(session, resolved) : (await session.mkdir(resolved), true);
    // The server applies its umask to mkdir's mode: set it afterwards to get exactly what was asked.
    if (created && mode !== undefined) await session.setstat(resolved, { mode });
  });
}

/** Removes a file or symlink; a directory needs `recursive: true` unless it is empty. */
export function remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
  return onRemote('remove', path, async (session, resolved, host) => {
    const stats = await session.lstat(resolved);
    if (isDryRun()) return reportDryRun('sftp', host.text, `rm ${options.recursive ? '-r ' : ''}${resolved}`);
    if (!stats.isDirectory()) return session.unlink(resolved);
    if (options.recursive) return removeRemoteTree(session, resolved);
    if ((await session.readdir(resolved)).length > 0) throw new SftpError('remove', resolved, undefined, 'is a directory and not empty; pass { recursive: true }');
    return session.rmdir(resolved);
  });
}

/** Renames (moves) a remote path, replacing an existing file at `to` atomically. */
export function rename(from: string, to: string): Promise<void> {
  return onRemote('rename', from, async (session, source, host) => {
    const target = await resolveRemotePath(session, to);
    if (isDryRun()) return reportDryRun('sftp', host.text, `mv ${source} ${target}`);
    await session.rename(source, target);
  });
}

/** A remote file's content: a Buffer, or a string when an encoding is given. */
export function readFile(path: string): Promise<Buffer>;
export function readFile(path: string, encoding: BufferEncoding): Promise<string>;
export async function readFile(path: string, encoding?: BufferEncoding): Promise<Buffer | string> {
  const data = await onRemote('readFile', path, (session, resolved) => readWhole(session, resolved));
  return encoding ? data.toString(encoding) : data;
}

/** Writes a remote file atomically (as put does: temp name, size checked, renamed into place). */
export function writeFile(path: string, data: string | Buffer, options: Omit<PutOptions, 'mirrorLocalMode'> = {}): Promise<TransferResult> {
  return upload('writeFile', typeof data === 'string' ? Buffer.from(data) : data, path, options);
}
