// glob(3) for Include paths, as OpenSSH calls it (Node 20 has no fs.glob).
import { lstat, readdir } from 'node:fs/promises';
import { hasGlobMagic, matchGlob, type GlobFileSystem } from '../util/glob.ts';

export const localFileSystem: GlobFileSystem = {
  readdir: (dir) => readdir(dir).catch(() => [] as string[]),
  exists: (path) => lstat(path).then(() => true, () => false),
};

/** glob(3) as OpenSSH calls it: `*`, `?`, `[...]` per path segment, dotfiles only when asked for, sorted results. */
export async function expandGlob(pattern: string): Promise<string[]> {
  if (!hasGlobMagic(pattern)) return [pattern];
  return matchGlob(pattern, localFileSystem);
}
