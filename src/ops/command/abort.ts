import { ExitCode, FabError } from '../../errors.ts';
import { events } from '../../report/events.ts';
import { runCleanups } from '../../util/cleanup.ts';
import type { CommandProcess } from './command.ts';

/**
 * The run-wide interrupt: every command process that is running right now, so that the first Ctrl-C can
 * end them all (remote ones by a signal over their channel, then closing it; local ones by their process
 * group), and a flag that keeps new commands and new hosts from starting afterwards.
 */
const live = new Set<CommandProcess>();
let interrupted = false;
/** What interrupted the run: Ctrl-C (SIGINT) or a SIGTERM (a service manager, `kill`), named as such in messages. */
export type InterruptCause = 'SIGINT' | 'SIGTERM';
let cause: InterruptCause = 'SIGINT';

/** `Ctrl-C` or `SIGTERM`, for messages. */
export function causeName(by: InterruptCause = cause): string {
  return by === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C';
}

export function isInterrupted(): boolean {
  return interrupted;
}

/** The error a command or host gets when the run was interrupted. */
export function interruptedError(host?: string): FabError {
  return new FabError('INTERRUPTED', `interrupted (${causeName()})${host ? ` on ${host}` : ''}`, { exitCode: ExitCode.interrupted, ...(host ? { host } : {}) });
}

/** Registers a started process until it exits; a process started after the interrupt is ended at once. */
export function trackProcess(proc: CommandProcess): () => void {
  if (interrupted) proc.terminate();
  live.add(proc);
  return () => live.delete(proc);
}

/**
 * Ends every running command and waits (at most graceMs) for them to exit, while transfers in flight undo
 * their half-written files (before the connections close). Idempotent: a second call ends what started
 * since and waits again.
 */
export async function interruptRun(graceMs = 3000, by: InterruptCause = 'SIGINT'): Promise<void> {
  if (!interrupted) {
    cause = by;
    events.emit({ kind: 'interrupt', signal: by });
  }
  interrupted = true;
  const running = [...live];
  for (const proc of running) proc.terminate();
  const cleaning = runCleanups(graceMs);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...running.map((proc) => proc.exit), cleaning]),
    new Promise((resolve) => {
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

export function liveProcessCount(): number {
  return live.size;
}

/** For a new run in the same process (tests). */
export function resetInterrupt(): void {
  interrupted = false;
  cause = 'SIGINT';
  live.clear();
}
