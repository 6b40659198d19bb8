import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { events } from '../../report/events.ts';
import { SftpSession } from '../../sftp/session.ts';
import { bufferSource, fileSource, streamSource, type ByteSource } from '../../sftp/sources.ts';
import { stagingName } from '../../sftp/temp-names.ts';
import { ensureRemoteDir, removeRemoteTree } from '../../sftp/tree.ts';
import { DEFAULT_FILE_MODE, uploadAtomically, uploadPlain } from '../../sftp/upload.ts';
import { registerCleanup } from '../../util/cleanup.ts';
import { mapLimit } from '../../util/map-limit.ts';
import { fileError, fileUsage } from '../file-access/fs-errors.ts';
import { resolveRemotePath } from '../file-access/paths.ts';
import { trackTransfer } from './progress.ts';
import { parseMode, planPut, type PlannedUpload, type PutPlan, type RemoteKind, type UploadSource } from './put-plan.ts';
import { isDryRun, lacksSftp, privileged, sftpOnHost, sudoIsRoot, sudoUserForAcl, unprivileged } from '../file-access/sftp-host.ts';
import { putOverExec } from './exec-transfer.ts';
import { requireHost } from '../command/remote.ts';
import { installScript, probeScript, shareScript } from '../file-access/sudo-scripts/index.ts';
import { TransferResult, reportDryRun, type TransferredFile } from './transfer-result.ts';
import { quote } from '../quoting/quote.ts';

/** Files of a directory or glob moving at once over the one SFTP session. */
export const FILES_AT_ONCE = 8;

export interface PutOptions {
  /** Permission bits of the files written (`0o755` or `'755'`); default: the replaced file's, else 0644. */
  mode?: number | string;
  /** Give each file the local file's permission bits (directories always keep theirs). */
  mirrorLocalMode?: boolean;
  /** Write as root (or env.sudoUser): upload to a private staging directory, then move into place with sudo. */
  useSudo?: boolean;
  /** Where useSudo stages files on the host (default /tmp). */
  tempDir?: string;
  /**
   * useSudo only: write through a symlink at the target (the file it names is replaced). Without it such a target
   * is refused, as another user may have planted the link. Without useSudo links are always followed.
   */
  followLinks?: boolean;
}

/**
 * A local file this small is read at once, synchronously: open, read and close through the thread pool are
 * three round trips per file, most of the client's time in a tree of small files.
 */
const READ_AT_ONCE = 64 * 1024;

/** Runs fn with the bytes of a planned upload, closing a local file afterwards. */
async function withReader<T>(source: UploadSource, size: number, fn: (reader: ByteSource) => Promise<T>): Promise<T> {
  if (source.kind === 'buffer') return fn(bufferSource(source.data));
  if (source.kind === 'stream') return fn(streamSource(source.stream));
  if (size >= 0 && size <= READ_AT_ONCE) return fn(bufferSource(readFileSync(source.path)));
  const file = await open(source.path, 'r');
  try {
    return await fn(fileSource(file, size));
  } finally {
    await file.close();
  }
}

function trackUpload<T extends { bytes: number }>(host: string, file: PlannedUpload, move: (onProgress: (bytes: number) => void) => Promise<T>): Promise<T> {
  return trackTransfer({ host, direction: 'put', local: file.local, remote: file.remote }, file.size, move);
}

async function putDirect(session: SftpSession, host: string, plan: PutPlan): Promise<TransferredFile[]> {
  const created: PutPlan['dirs'] = [];
  for (const dir of plan.dirs) if (await ensureRemoteDir(session, dir.remote)) created.push(dir);
  // In a directory made just now there is nothing to replace: no need to look before writing.
  const madeNow = new Set(created.map((dir) => dir.remote));
  const files = await mapLimit(plan.files, FILES_AT_ONCE, (file) =>
    trackUpload(host, file, (onProgress) =>
      withReader(file.source, file.size, (reader) =>
        uploadAtomically(session, reader, file.remote, { mode: file.mode, onProgress, fresh: madeNow.has(posix.dirname(file.remote)) }),
      ),
    ).then((written) => {
      if (!written.ownerKept) events.emit({ kind: 'warning', host, message: `put: ${written.path} now belongs to the login user; its old owner could not be kept (use { useSudo: true } to keep it)` });
      return { local: file.local, remote: written.path, bytes: written.bytes, mode: written.mode };
    }),
  );
  // Modes last: a read-only directory would refuse the files going into it.
  for (const dir of created.reverse()) if (dir.mode !== undefined) await session.setstat(dir.remote, { mode: dir.mode });
  return files;
}

/**
 * useSudo: the bytes go (as the login user) to a private staging directory, then one sudo script moves each file
 * beside its target, gives it the old file's owner and mode (or the mode asked for) and renames it into place
 * (see sudo-scripts/write.ts). A non-root sudo user is let into the staging directory with an ACL, so that no
 * third user can read it. The staging directory goes away whatever happens.
 */
async function putWithSudo(session: SftpSession, op: string, host: string, plan: PutPlan, options: PutOptions): Promise<TransferredFile[]> {
  const staging = posix.join(await resolveRemotePath(session, options.tempDir ?? '/tmp'), stagingName());
  await session.mkdir(staging, 0o700);
  const unregister = registerCleanup(() => removeRemoteTree(session, staging).catch(() => {}));
  try {
    const staged = await mapLimit(plan.files, FILES_AT_ONCE, (file, index) =>
      trackUpload(host, file, async (onProgress) => {
        const path = `${staging}/${index}`;
        const bytes = await withReader(file.source, file.size, (reader) => uploadPlain(session, reader, path, { mode: 0o600, onProgress }));
        return { staged: path, bytes };
      }),
    );
    const tag = () => randomBytes(4).toString('hex');
    const script = installScript(
      plan.dirs.map((dir) => ({ path: dir.remote, mode: dir.mode, tag: tag() })),
      plan.files.map((file, index) => ({ staged: staged[index]!.staged, target: file.remote, mode: file.mode, tag: tag() })),
      { followLinks: Boolean(options.followLinks) },
    );
    const scriptPath = `${staging}/install.sh`;
    await uploadPlain(session, bufferSource(Buffer.from(script)), scriptPath, { mode: 0o600 });
    const sudoUser = sudoUserForAcl();
    if (sudoUser !== undefined) await unprivileged(op, host, shareScript(staging, sudoUser), { code: 'TRANSFER' });
    const { stdout } = await privileged(op, host, `/bin/sh ${quote(scriptPath)}`, { code: 'TRANSFER' });
    const written = stdout.split('\0').filter(Boolean);
    return plan.files.map((file, index) => {
      const [mode = '', path = file.remote] = (written[index] ?? '').split(/ (.*)/s);
      return { local: file.local, remote: path, bytes: staged[index]!.bytes, mode: /^[0-7]+$/.test(mode) ? parseInt(mode, 8) : (file.mode ?? DEFAULT_FILE_MODE) };
    });
  } finally {
    await removeRemoteTree(session, staging).catch(() => {});
    unregister();
  }
}

/** A symlink at a useSudo target: written through when asked, else refused (the script refuses it too, race or not). */
function refuseLink(op: string, host: string, path: string, followLinks: boolean | undefined): RemoteKind {
  if (followLinks) return 'file';
  throw fileUsage(op, host, `${path} is a symbolic link; useSudo does not write through links (another user may have planted it): give the path it points to, or { followLinks: true }`, 'TRANSFER');
}

async function probeRemote(session: SftpSession, op: string, host: string, path: string, options: PutOptions): Promise<RemoteKind> {
  if (options.useSudo) {
    const { stdout } = await privileged(op, host, probeScript(path), { readOnly: true, code: 'TRANSFER' });
    const kind = stdout.trim();
    return kind === 'link' ? refuseLink(op, host, path, options.followLinks) : (kind as RemoteKind);
  }
  const stats = await session.statOrNone(path);
  return !stats ? 'none' : stats.isDirectory() ? 'dir' : 'file';
}

function describePlan(plan: PutPlan): string {
  const [first] = plan.files;
  if (plan.files.length === 1 && first) return `${first.local} -> ${first.remote}`;
  const bytes = plan.files.reduce((sum, file) => sum + Math.max(0, file.size), 0);
  return `${plan.files.length} files (${bytes} bytes) -> ${plan.dirs[0]?.remote ?? posix.dirname(first?.remote ?? '')}`;
}

/**
 * Uploads to the current host: a local file, a Buffer or readable stream, a directory (recursively, modes
 * kept) or a local glob. Every file lands atomically (temp name, size checked, renamed into place); a
 * remote directory target receives files under their own names; `~` and relative paths resolve on the
 * host (relative ones under cd()), local relative paths under lcd(). Resolves what was written.
 */
export function put(local: string | Buffer | Readable, remote?: string, options: PutOptions = {}): Promise<TransferResult> {
  return upload('put', local, remote, options);
}

/** put() under another operation's name (writeFile, uploadTemplate), so its errors say which. */
export async function upload(op: string, local: string | Buffer | Readable, remote: string | undefined, options: PutOptions): Promise<TransferResult> {
  const started = performance.now();
  const { host, session } = await sftpOnHost(op).catch(async (error: unknown) => {
    if (!lacksSftp(error) || options.useSudo || isDryRun() || (local !== undefined && typeof local !== 'string' && remote === undefined)) throw error;
    const host = requireHost(op);
    events.emit({ kind: 'debug', host: host.text, message: `${op}: the server has no SFTP subsystem; sending the files through cat on exec channels` });
    return { host, session: undefined };
  });
  if (!session) return putOverExec(op, host.text, local, remote ?? '.', { mode: parseMode(options.mode, op, host.text), mirrorLocalMode: Boolean(options.mirrorLocalMode) }).catch((error: unknown) => Promise.reject(fileError(op, host.text, error, { code: 'TRANSFER' })));
  const mode = parseMode(options.mode, op, host.text);
  if (remote === undefined && typeof local !== 'string') throw fileUsage(op, host.text, 'a Buffer or stream needs the remote file name', 'TRANSFER');
  const remoteText = remote ?? '.';
  try {
    const targetPath = await resolveRemotePath(session, remoteText);
    const kind = await probeRemote(session, op, host.text, targetPath, options);
    const plan = await planPut(op, host.text, local, remoteText, { path: targetPath, kind }, { mode, mirrorLocalMode: Boolean(options.mirrorLocalMode) });
    const planned = plan.files.map((file) => ({ local: file.local, remote: file.remote, bytes: Math.max(0, file.size), mode: file.mode ?? DEFAULT_FILE_MODE }));
    if (isDryRun()) {
      reportDryRun('put', host.text, `${describePlan(plan)}${options.useSudo ? ' (sudo)' : ''}`);
      return new TransferResult({ host: host.text, direction: 'put', files: planned, dryRun: true, durationMs: performance.now() - started });
    }
    const files = options.useSudo ? await putWithSudo(session, op, host.text, plan, options) : await putDirect(session, host.text, plan);
    return new TransferResult({ host: host.text, direction: 'put', files, durationMs: performance.now() - started });
  } catch (error) {
    throw fileError(op, host.text, error, { code: 'TRANSFER' });
  }
}
