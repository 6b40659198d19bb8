import { setV8Flag } from '../util/v8-flags.ts';

/** How long a `fab` runs before V8 may optimize hot code again (see deferOptimizingCompiler). */
export const OPTIMIZE_AFTER_MS = 10_000;

/**
 * Keeps V8's optimizing compiler (TurboFan) off for the first seconds of a `fab`. Most runs are over in a few
 * seconds, and TurboFan's background compiling costs them more CPU than the optimized code saves, on cores
 * shared with ssh and sshd. Measured on 2 cores, interleaved runs: fan-out to 10 hosts -18% CPU, to 200 hosts -8%;
 * 200 sequential commands -10% time; a 512 MiB put +15% and get +11% throughput, with less CPU. After
 * OPTIMIZE_AFTER_MS it is on again (V8 reads the flag whenever it considers a function for optimization), so a
 * long transfer or a long run still gets optimized code (a put's steady state costs ~10% more CPU without it).
 * Only the CLI does this: fabts used as a library leaves V8 as it is.
 */
export function deferOptimizingCompiler(afterMs = OPTIMIZE_AFTER_MS): void {
  setV8Flag('--no-turbofan');
  setTimeout(() => setV8Flag('--turbofan'), afterMs).unref();
}
