import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { refuseUntrusted } from '../util/trust.ts';

export const FABFILE_NAMES = ['fabfile.ts', 'fabfile.mts', 'fabfile.js', 'fabfile.mjs'];
const INDEX_NAMES = ['index.ts', 'index.mts', 'index.js', 'index.mjs'];

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A fabfile found by searching runs only if no other user could have put it there (`-f` names one to trust). */
function trusted(file: string, ...also: string[]): string {
  refuseUntrusted(file, '-f', also);
  return file;
}

/** The fabfile to load: `-f PATH` (a file or a fabfile/ directory), else the nearest one from cwd upward. */
export function discoverFabfile(cwd: string, explicit?: string): string {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (isFile(path)) return path;
    if (existsSync(path)) {
      const index = INDEX_NAMES.map((name) => join(path, name)).find(isFile);
      if (index) return index;
    }
    throw new UsageError(`fabfile ${explicit} not found; check the path given to -f`, 'NO_FABFILE');
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of FABFILE_NAMES) if (isFile(join(dir, name))) return trusted(join(dir, name));
    for (const name of INDEX_NAMES) if (isFile(join(dir, 'fabfile', name))) return trusted(join(dir, 'fabfile', name), join(dir, 'fabfile'));
    if (dirname(dir) === dir) break;
  }
  throw new UsageError(`no fabfile.ts found in ${resolve(cwd)} or any parent directory; run "fab init" to write one, or name one with -f`, 'NO_FABFILE');
}
