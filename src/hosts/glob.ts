// glob(3) for Include paths, as OpenSSH calls it (Node 20 has no fs.glob).
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const GLOB_MAGIC = /[*?[]/;

function segmentRegex(segment: string): RegExp {
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

/** glob(3) as OpenSSH calls it: `*`, `?`, `[...]` per path segment, dotfiles only when asked for, sorted results. */
export async function expandGlob(pattern: string): Promise<string[]> {
  if (!GLOB_MAGIC.test(pattern)) return [pattern];
  let candidates = [pattern.startsWith('/') ? '/' : '.'];
  for (const segment of pattern.split('/').filter((part) => part !== '')) {
    if (!GLOB_MAGIC.test(segment)) {
      candidates = candidates.map((dir) => join(dir, segment));
      continue;
    }
    const regex = segmentRegex(segment);
    const next: string[] = [];
    for (const dir of candidates) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (regex.test(name)) next.push(join(dir, name));
      }
    }
    candidates = next;
  }
  const existing: string[] = [];
  for (const path of candidates) if (await lstat(path).then(() => true, () => false)) existing.push(path);
  return existing.sort();
}
