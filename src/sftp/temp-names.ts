import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';

/** File names are at most 255 bytes on the usual file systems: keep room for the affixes. */
const MAX_BASE = 180;

/** Recognizable, unique, hidden: `.name.fabts-1a2b3c4d.tmp` beside the target, so a rename replaces it atomically. */
export function tempNameBeside(target: string, suffix: '.tmp' | '.part'): string {
  const base = posix.basename(target).slice(0, MAX_BASE);
  return posix.join(posix.dirname(target), `.${base}.fabts-${randomBytes(4).toString('hex')}${suffix}`);
}

/** A name for a private staging directory, unguessable by other users of the host. */
export function stagingName(): string {
  return `fabts-${randomBytes(12).toString('hex')}`;
}
