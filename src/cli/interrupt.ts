import { ExitCode } from '../errors.ts';

/** Exit statuses for the signals fab handles: 128 + the signal's number. */
const STATUS: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: ExitCode.interrupted, SIGTERM: 143 };

export interface InterruptHandler {
  /** Aborted by the first SIGINT/SIGTERM: the run ends its commands and prints the summary so far. */
  signal: AbortSignal;
  /** The status to exit with once the run has wound down (undefined when no signal came). */
  exitCode(): number | undefined;
  /** As if SIGTERM came: the run winds down (its parent, fab serve, is gone). */
  interrupt(): void;
  dispose(): void;
}

/**
 * Ctrl-C handling for the `fab` process: the first SIGINT (or SIGTERM) aborts `signal`, which the run
 * turns into ending every running command, closing connections and printing the summary so far; a second
 * one exits at once (after showing the cursor again, which the terminal view hides).
 */
export function handleInterrupts(exit: (code: number) => void, terminal: { isTTY?: boolean; write(text: string): unknown }): InterruptHandler {
  const controller = new AbortController();
  let received: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
    if (received) {
      if (terminal.isTTY) terminal.write('\u001b[?25h\n');
      exit(STATUS[name]);
      return;
    }
    received = name;
    controller.abort(name);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    exitCode: () => (received ? STATUS[received] : undefined),
    interrupt: () => onTerm(),
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
