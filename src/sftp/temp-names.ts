import { randomBytes, randomFillSync } from 'node:crypto';
import { posix } from 'node:path';

/** File names are at most 255 bytes on the usual file systems: keep room for the affixes. */
const MAX_BASE = 180;

/** Random bytes for temp names, drawn 4 KiB at a time (a directory upload names one temp file per file). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += bytes;
  return pool.toString('hex', poolAt - bytes, poolAt);
}

/** Recognizable, unique, hidden: `.name.fabts-1a2b3c4d.tmp` beside the target, so a rename replaces it atomically. */
export function tempNameBeside(target: string, suffix: '.tmp' | '.part'): string {
  const base = posix.basename(target).slice(0, MAX_BASE);
  return posix.join(posix.dirname(target), `.${base}.fabts-${randomHex(4)}${suffix}`);
}

/** A name for a private staging directory, unguessable by other users of the host. */
export function stagingName(): string {
  return `fabts-${randomBytes(12).toString('hex')}`;
}
