import { setFlagsFromString } from 'node:v8';

/**
 * The V8 flags fabts changes at run time (src/cli/jit.ts, src/util/young-generation.ts), all set through here so
 * that the state is known: V8 refuses code cache data made under other flags, so the compile cache keys its
 * entries by this state and puts the flags back as they were before it writes (src/cli/compile-cache.ts).
 */
const applied = new Map<string, string>();

function nameOf(flag: string): string {
  return flag.replace(/^--(no-)?/, '').split('=')[0]!;
}

/** `--no-turbofan`, `--turbofan`, `--semi-space-growth-factor=1` ... */
export function setV8Flag(flag: string): void {
  applied.set(nameOf(flag), flag);
  setFlagsFromString(flag);
}

/**
 * Turns V8's optimizing compiler back on when the CLI has it off for its first seconds (src/cli/jit.ts), before
 * CPU-bound JavaScript whose cost is all in hot loops: decrypting a key's bcrypt rounds costs ~15x the CPU
 * unoptimized (5.3 s instead of 0.35 s for ssh-keygen's default 16 rounds), which ran past connect timeouts.
 */
export function optimizeFromNowOn(): void {
  if (applied.get('turbofan') === '--no-turbofan') setV8Flag('--turbofan');
}

/** The flags set so far, as one string (stable: sorted). */
export function v8FlagState(): string {
  return [...applied.values()].sort().join(' ');
}

/**
 * Sets the flags back to a state v8FlagState() returned. False (nothing changed) when a flag set since has no
 * value in that state to go back to (its V8 default is not known here).
 */
export function restoreV8Flags(state: string): boolean {
  const wanted = state.split(' ').filter(Boolean);
  const names = new Set(wanted.map(nameOf));
  for (const name of applied.keys()) if (!names.has(name)) return false;
  for (const flag of wanted) if (applied.get(nameOf(flag)) !== flag) setV8Flag(flag);
  return true;
}
