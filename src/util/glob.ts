// glob(3) patterns over any file system: the local one (ssh_config Include, put) or a remote one over SFTP (get).
import { posix } from 'node:path';

const GLOB_MAGIC = /[*?[]/;

/** Whether a path holds glob characters (`*`, `?`, `[`). */
export function hasGlobMagic(path: string): boolean {
  return GLOB_MAGIC.test(path);
}

/** One path segment's pattern as a regular expression: `*`, `?`, `[...]` (`[!...]` negates), `\` escapes. */
export function segmentRegex(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i] ?? '';
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '\\' && i + 1 < segment.length) source += `\\${segment[++i]}`;
    else if (char === '[' && segment.indexOf(']', i + 2) !== -1) {
      const end = segment.indexOf(']', i + 2);
      let body = segment.slice(i + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
}

/** What a glob needs from a file system: names in a directory (none when unreadable) and whether a path exists. */
export interface GlobFileSystem {
  readdir(dir: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
}

/** The existing paths matching pattern, sorted; dotfiles only match a segment that starts with a dot. */
export async function matchGlob(pattern: string, fs: GlobFileSystem): Promise<string[]> {
  let candidates = [pattern.startsWith('/') ? '/' : '.'];
  for (const segment of pattern.split('/').filter((part) => part !== '')) {
    if (!hasGlobMagic(segment)) {
      candidates = candidates.map((dir) => posix.join(dir, segment));
      continue;
    }
    const regex = segmentRegex(segment);
    const next: string[] = [];
    for (const dir of candidates) {
      for (const name of await fs.readdir(dir)) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (regex.test(name)) next.push(posix.join(dir, name));
      }
    }
    candidates = next;
  }
  const existing: string[] = [];
  for (const path of candidates) if (await fs.exists(path)) existing.push(path);
  return existing.sort();
}
