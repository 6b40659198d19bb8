import { lstat, stat } from 'node:fs/promises';
import { basename, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { localFileSystem } from '../../hosts/glob.ts';
import { hasGlobMagic, matchGlob } from '../../util/glob.ts';
import { fileError, fileUsage } from '../file-access/fs-errors.ts';
import { walkLocalTree } from './local-tree.ts';
import { namesDirectory, resolveLocalPath } from '../file-access/paths.ts';

export type UploadSource = { kind: 'file'; path: string } | { kind: 'buffer'; data: Buffer } | { kind: 'stream'; stream: Readable };

export interface PlannedUpload {
  source: UploadSource;
  /** What to call the local side in events and results: a path, `<buffer>` or `<stream>`. */
  local: string;
  remote: string;
  /** Bytes, or -1 when unknown (a stream). */
  size: number;
  /** Permission bits to give it; undefined: keep the replaced file's, else 0644. */
  mode: number | undefined;
}

export interface PutPlan {
  /** Remote directories to have (mkdir -p), parents first; `mode` is set on the ones created. */
  dirs: { remote: string; mode: number | undefined }[];
  files: PlannedUpload[];
}

/** What the remote target is, as the uploading user (or root, for useSudo) sees it. */
export type RemoteKind = 'dir' | 'file' | 'none';

/** `mode: 0o755`, `'755'` or `'0755'` as permission bits. */
export function parseMode(mode: number | string | undefined, op: string, host: string): number | undefined {
  if (mode === undefined) return undefined;
  const value = typeof mode === 'number' ? mode : /^0?[0-7]{3,4}$/.test(mode) ? parseInt(mode, 8) : NaN;
  if (!Number.isInteger(value) || value < 0 || value > 0o7777) {
    throw fileUsage(op, host, `mode ${JSON.stringify(mode)} is not a permission mode; give a number like 0o644 or a string like '644'`, 'BAD_ARGUMENT');
  }
  return value;
}

async function localMatches(op: string, host: string, text: string): Promise<string[]> {
  const path = resolveLocalPath(text);
  if (await lstat(path).then(() => true, () => false)) return [path];
  if (hasGlobMagic(text)) {
    const matches = await matchGlob(path, localFileSystem);
    if (matches.length > 0) return matches;
    throw fileUsage(op, host, `no local file matches ${text}; check the pattern (relative paths start at lcd() or the current directory)`);
  }
  throw fileError(op, host, Object.assign(new Error('ENOENT'), { code: 'ENOENT' }), { path, code: 'TRANSFER' });
}

/**
 * Which files go where. A remote directory target (existing, or written with a trailing `/`, or needed
 * because a glob matched several files) receives each source under its basename; otherwise the target
 * is the file (or, for a directory source, the directory) to write.
 */
export async function planPut(
  op: string,
  host: string,
  source: string | Buffer | Readable,
  remoteText: string,
  target: { path: string; kind: RemoteKind },
  options: { mode: number | undefined; mirrorLocalMode: boolean },
): Promise<PutPlan> {
  if (typeof source !== 'string') {
    if (target.kind === 'dir' || namesDirectory(remoteText)) throw fileUsage(op, host, `${target.path} is a directory; give the name of the file to write`, 'TRANSFER');
    const isBuffer = Buffer.isBuffer(source);
    const upload: UploadSource = isBuffer ? { kind: 'buffer', data: source } : { kind: 'stream', stream: source };
    return { dirs: [], files: [{ source: upload, local: isBuffer ? '<buffer>' : '<stream>', remote: target.path, size: isBuffer ? source.length : -1, mode: options.mode }] };
  }
  const matches = await localMatches(op, host, source);
  if (matches.length > 1 && target.kind === 'file') {
    throw fileUsage(op, host, `${matches.length} local files match ${source}, so ${target.path} must be a directory, and it is a file`, 'TRANSFER');
  }
  const intoDir = target.kind === 'dir' || (target.kind === 'none' && (namesDirectory(remoteText) || matches.length > 1));
  const plan: PutPlan = { dirs: intoDir && target.kind === 'none' ? [{ remote: target.path, mode: undefined }] : [], files: [] };
  for (const match of matches) {
    const stats = await stat(match).catch((error) => Promise.reject(fileError(op, host, error, { path: match, code: 'TRANSFER' })));
    const dest = intoDir ? posix.join(target.path, basename(match)) : target.path;
    if (stats.isDirectory()) {
      if (target.kind === 'file') throw fileUsage(op, host, `${match} is a directory and ${target.path} is a file; give a directory`, 'TRANSFER');
      // A directory keeps its tree's permission bits; `mode` still applies to its files.
      const tree = await walkLocalTree(match);
      plan.dirs.push({ remote: dest, mode: stats.mode & 0o7777 });
      for (const dir of tree.dirs) plan.dirs.push({ remote: posix.join(dest, dir.rel), mode: dir.mode });
      for (const file of tree.files) {
        const path = `${match}/${file.rel}`;
        plan.files.push({ source: { kind: 'file', path }, local: path, remote: posix.join(dest, file.rel), size: file.size, mode: options.mode ?? file.mode });
      }
    } else {
      const mode = options.mode ?? (options.mirrorLocalMode ? stats.mode & 0o7777 : undefined);
      plan.files.push({ source: { kind: 'file', path: match }, local: match, remote: dest, size: stats.size, mode });
    }
  }
  return plan;
}
