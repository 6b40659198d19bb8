import { stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { SftpSession } from '../sftp/session.ts';
import { walkRemoteTree } from '../sftp/tree.ts';
import { fileUsage } from './fs-errors.ts';
import { expandPathTokens, hasPathTokens, namesDirectory, resolveLocalPath } from './paths.ts';

/** A remote file or directory to fetch: where to read it, and the path it has on the host (for tokens and events). */
export interface RemoteMatch {
  read: string;
  shown: string;
}

export interface PlannedDownload {
  read: string;
  remote: string;
  local: string;
  size: number;
  mode: number;
}

export interface GetPlan {
  /** Local directories to have, parents first, with the remote directories' modes. */
  dirs: { local: string; mode: number }[];
  files: PlannedDownload[];
}

const isLocalDir = (path: string) => stat(path).then((stats) => stats.isDirectory(), () => false);

/**
 * Where one remote match lands. A template with tokens names its own destination (`{host}/{path}`); a plain
 * local path that is an existing directory, ends with `/`, or receives several matches gets it under its basename.
 */
export async function localTarget(template: string, host: string, shown: string, several: boolean): Promise<string> {
  const local = resolveLocalPath(expandPathTokens(template, { host, path: shown }));
  if (hasPathTokens(template)) return local;
  return several || namesDirectory(template) || (await isLocalDir(local)) ? join(local, posix.basename(shown)) : local;
}

/**
 * Where each remote match lands locally (see localTarget); directories come down whole. `modes`, by read path,
 * overrides the permission bits the reads show (a staged copy's may not be the original's).
 */
export async function planGet(session: SftpSession, op: string, host: string, matches: RemoteMatch[], template: string, modes?: Map<string, number>): Promise<GetPlan> {
  const plan: GetPlan = { dirs: [], files: [] };
  const modeOf = (read: string, shown: number) => modes?.get(read) ?? shown;
  for (const match of matches) {
    const stats = await session.stat(match.read);
    const local = await localTarget(template, host, match.shown, matches.length > 1);
    if (stats.isDirectory()) {
      plan.dirs.push({ local, mode: modeOf(match.read, stats.mode) & 0o7777 });
      const tree = await walkRemoteTree(session, match.read);
      for (const dir of tree.dirs) plan.dirs.push({ local: join(local, dir.rel), mode: modeOf(posix.join(match.read, dir.rel), dir.mode) });
      for (const file of tree.files) {
        const read = posix.join(match.read, file.rel);
        plan.files.push({ read, remote: posix.join(match.shown, file.rel), local: join(local, file.rel), size: file.size, mode: modeOf(read, file.mode) & 0o777 });
      }
    } else {
      plan.files.push({ read: match.read, remote: match.shown, local, size: stats.size, mode: modeOf(match.read, stats.mode) & 0o777 });
    }
  }
  const seen = new Map<string, string>();
  for (const file of plan.files) {
    const other = seen.get(file.local);
    if (other !== undefined) {
      throw fileUsage(op, host, `${other} and ${file.remote} would both be written to ${file.local}; put {path} or {dirname} in the local path`, 'TRANSFER');
    }
    seen.set(file.local, file.remote);
  }
  return plan;
}
