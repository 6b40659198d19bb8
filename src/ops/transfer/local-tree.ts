import type { Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { walkTree, type TreeEntry, type TreeNode } from '../../util/tree.ts';

function node(stats: Stats): TreeNode {
  const kind = stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : stats.isSymbolicLink() ? 'link' : 'other';
  return { kind, mode: stats.mode, size: stats.size };
}

/** Every directory and file under a local directory (see walkTree). */
export function walkLocalTree(root: string): Promise<{ dirs: TreeEntry[]; files: TreeEntry[] }> {
  return walkTree(root, {
    list: async (dir) => Promise.all((await readdir(dir)).map(async (name) => ({ name, node: node(await lstat(join(dir, name))) }))),
    follow: (path) => stat(path).then(node, () => undefined),
    realpath: (path) => realpath(path),
    join,
  });
}
