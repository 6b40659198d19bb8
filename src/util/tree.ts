/** A file system entry as a tree walk needs it. */
export interface TreeNode {
  kind: 'dir' | 'file' | 'link' | 'other';
  mode: number;
  size: number;
}

/** What walkTree needs from a file system (local, or remote over SFTP). */
export interface TreeFileSystem {
  list(dir: string): Promise<{ name: string; node: TreeNode }[]>;
  /** What a path is, following links; undefined when it names nothing (a dangling link). */
  follow(path: string): Promise<TreeNode | undefined>;
  realpath(path: string): Promise<string>;
  join(dir: string, name: string): string;
  /** The most entries (directories and files) a walk may gather; past it, `tooMany()` is thrown. */
  max?: number;
  tooMany?: () => Error;
}

export interface TreeEntry {
  /** Path relative to the root, with `/`. */
  rel: string;
  /** Permission bits (with setuid/setgid/sticky). */
  mode: number;
  size: number;
}

/**
 * Every directory and file under root, parents before children, sorted by name. Symlinks are followed
 * (their targets are copied); a link back to a directory on the way down is skipped, so a loop cannot
 * recurse forever. Sockets, FIFOs and devices are left out.
 */
export async function walkTree(root: string, fs: TreeFileSystem): Promise<{ dirs: TreeEntry[]; files: TreeEntry[] }> {
  const dirs: TreeEntry[] = [];
  const files: TreeEntry[] = [];
  const visit = async (dir: string, rel: string, ancestors: Set<string>) => {
    const entries = await fs.list(dir);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { name, node: listed } of entries) {
      if (fs.max !== undefined && dirs.length + files.length >= fs.max) throw fs.tooMany?.() ?? new Error(`more than ${fs.max} entries under ${root}`);
      const path = fs.join(dir, name);
      const childRel = rel ? `${rel}/${name}` : name;
      const node = listed.kind === 'link' ? await fs.follow(path) : listed;
      if (!node) continue;
      if (node.kind === 'dir') {
        const real = listed.kind === 'link' ? await fs.realpath(path) : path;
        if (ancestors.has(real)) continue;
        dirs.push({ rel: childRel, mode: node.mode & 0o7777, size: 0 });
        await visit(path, childRel, new Set([...ancestors, real]));
      } else if (node.kind === 'file') {
        files.push({ rel: childRel, mode: node.mode & 0o7777, size: node.size });
      }
    }
  };
  await visit(root, '', new Set([await fs.realpath(root)]));
  return { dirs, files };
}
