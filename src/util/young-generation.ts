import { setV8Flag } from './v8-flags.ts';

/**
 * V8's young generation starts at 2 x 1 MiB and doubles under a burst of allocation, up to 2 x 16 MiB, and then
 * stays at that size. The handshakes of a run over hundreds of hosts are such a burst: measured with 500 idle
 * connections, the grown young generation was ~50 of the ~108 KiB each connection added to the process (the
 * connections' own objects are ~30 KiB of JS heap and ~10 KiB off it). Node.js takes --max-semi-space-size only
 * at start, but V8 reads its growth factor whenever it resizes: set to 1, the young generation keeps its first
 * size (measured: ~57 KiB per connection, and no change in the CPU time of a 200-host run or in the time per
 * command). Runs over few hosts keep V8's default: a bulk transfer allocates a little per request, and there the
 * larger young generation spares some collections.
 */
export const MANY_HOSTS = 32;

let capped = false;

/** Keeps the young generation at its size from now on (for the rest of the process). */
export function keepYoungGenerationSmall(): void {
  if (capped) return;
  capped = true;
  setV8Flag('--semi-space-growth-factor=1');
}
