import { lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { privateDirectory } from '../util/trust.ts';

/**
 * tsx keeps the JavaScript it compiles from TypeScript (the fabfile, a .ts config) in $TMPDIR/tsx-<euid> and runs
 * what it finds there, without asking who wrote it: in a shared /tmp another user can make that directory first and
 * put code of theirs in it, which a later `fab` (root's too) would run. So tsx's cache stays on only when that
 * directory is this user's alone (created 0700 here when missing); otherwise TSX_DISABLE_CACHE turns it off, and
 * tsx compiles every time. Also off when $TMPDIR/tsx (an old cache tsx deletes, recursively, at start) is not a
 * directory of this user's: a recursive delete as root through another user's tree can be steered elsewhere.
 * Called before tsx is loaded: it reads the variable once, and its loader thread gets a copy of the environment.
 */
export function guardTsxCache(env: NodeJS.ProcessEnv = process.env): void {
  const euid = process.geteuid?.();
  if (euid === undefined || env.TSX_DISABLE_CACHE) return;
  const base = tmpdir();
  if (privateDirectory(path.join(base, `tsx-${euid}`)) && !foreign(path.join(base, 'tsx'), euid)) return;
  env.TSX_DISABLE_CACHE = '1';
}

function foreign(file: string, euid: number): boolean {
  try {
    const st = lstatSync(file);
    return !st.isDirectory() || st.uid !== euid;
  } catch {
    return false;
  }
}
