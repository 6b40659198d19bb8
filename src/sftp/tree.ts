import { posix } from 'node:path';
import type { Stats } from 'ssh2';
import type { GlobFileSystem } from '../util/glob.ts';
import { walkTree, type TreeEntry, type TreeNode } from '../util/tree.ts';
import { ListingRefused, SftpError, tooMany, type FileQueries } from './session.ts';

/** Creates a directory and any missing parents (mkdir -p); resolves whether `path` itself was created. */
export async function ensureRemoteDir(session: FileQueries, path: string, mode?: number): Promise<boolean> {
  const existing = await session.statOrNone(path);
  if (existing) {
    if (!existing.isDirectory()) throw new SftpError('mkdir', path, undefined, 'exists and is not a directory');
    return false;
  }
  const parent = posix.dirname(path);
  if (parent !== path) await ensureRemoteDir(session, parent);
  try {
    await session.mkdir(path, mode);
  } catch (error) {
    // Another task may have made it in between.
    if ((await session.statOrNone(path).catch(() => undefined))?.isDirectory()) return false;
    throw error;
  }
  return true;
}

/** Removes a file, a symlink or a whole directory tree (never following links out of it). */
export async function removeRemoteTree(session: FileQueries & { removeTree?: (path: string) => Promise<void> }, path: string): Promise<void> {
  if (session.removeTree) return session.removeTree(path); // one rm -rf on a host without SFTP
  const stats = await session.lstat(path);
  if (!stats.isDirectory()) return session.unlink(path);
  for (const entry of await session.readdir(path)) await removeRemoteTree(session, posix.join(path, entry.filename));
  await session.rmdir(path);
}

function node(attrs: Stats): TreeNode {
  const kind = attrs.isDirectory() ? 'dir' : attrs.isFile() ? 'file' : attrs.isSymbolicLink() ? 'link' : 'other';
  return { kind, mode: attrs.mode, size: attrs.size };
}

/** Every directory and file under a remote directory (see walkTree). */
export function walkRemoteTree(session: FileQueries, root: string): Promise<{ dirs: TreeEntry[]; files: TreeEntry[] }> {
  return walkTree(root, {
    max: session.maxListing,
    tooMany: () => tooMany(root, session.maxListing),
    list: async (dir) => (await session.readdir(dir)).map((entry) => ({ name: entry.filename, node: node(entry.attrs) })),
    follow: (path) => session.statOrNone(path).then((attrs) => (attrs ? node(attrs) : undefined)),
    realpath: (path) => session.realpath(path),
    join: posix.join,
  });
}

/** The remote side as glob() sees it. */
export function remoteGlobFileSystem(session: FileQueries): GlobFileSystem {
  return {
    // An unreadable directory matches nothing (as a shell's glob); a refused listing or a dropped session is an error.
    readdir: (dir) =>
      session.readdir(dir).then(
        (entries) => entries.map((entry) => entry.filename),
        (error: unknown) => (error instanceof ListingRefused || session.isLost ? Promise.reject(error) : []),
      ),
    exists: (path) => session.statOrNone(path, false).then(Boolean, () => false),
  };
}
