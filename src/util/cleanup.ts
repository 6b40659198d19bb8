import { runLocal } from '../env/context.ts';

/**
 * Undo work left half-done when the run is interrupted (Ctrl-C): remote temp files of uploads in flight,
 * partial local downloads. Transfers register a cleanup while they run and drop it when they finish;
 * the interrupt handler runs whatever is still registered, then the process exits.
 */
export type Cleanup = () => void | Promise<void>;

/** One set per run (env/context.ts): interrupting a run undoes its own transfers, not another run's. */
const pendingOf = runLocal(() => new Set<Cleanup>());

/** Registers cleanup; call the returned function once the work is done (or cleaned up by its own error path). */
export function registerCleanup(cleanup: Cleanup): () => void {
  const pending = pendingOf();
  pending.add(cleanup);
  return () => pending.delete(cleanup);
}

export function pendingCleanups(): number {
  return pendingOf().size;
}

/** Runs every registered cleanup at once, giving them at most timeoutMs (a dead connection must not hang the exit). */
export async function runCleanups(timeoutMs = 3000): Promise<void> {
  const pending = pendingOf();
  const all = [...pending];
  pending.clear();
  if (all.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  const work = Promise.allSettled(all.map(async (cleanup) => cleanup()));
  await Promise.race([work, deadline]);
  clearTimeout(timer);
}
