import { currentScope, runLocal } from '../env/context.ts';
import type { OutputLevel } from './events.ts';

/** Levels hidden or shown for the whole run by --hide/--show (one set per run); debug is hidden unless shown. */
const levelsOf = runLocal((): Partial<Record<OutputLevel, boolean>> => ({ debug: true }));

export function setRunLevels(hidden: readonly OutputLevel[], shown: readonly OutputLevel[]): void {
  const runLevels = levelsOf();
  for (const level of hidden) runLevels[level] = true;
  for (const level of shown) runLevels[level] = false;
}

export function resetRunLevels(): void {
  const runLevels = levelsOf();
  for (const key of Object.keys(runLevels)) delete runLevels[key as OutputLevel];
  runLevels.debug = true;
}

/** Whether a level is hidden here: the innermost hide()/show() wins, then --hide/--show. */
export function isHidden(level: OutputLevel): boolean {
  return currentScope().levels[level] ?? levelsOf()[level] ?? false;
}
