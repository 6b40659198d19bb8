import type { Readable, Writable } from 'node:stream';
import { env } from '../../env/env.ts';
import { FabError } from '../../errors.ts';
import { events } from '../../report/events.ts';
import { Semaphore } from '../../util/semaphore.ts';

/** A terminal's input side, as a tty.ReadStream has it. */
export type TerminalInput = Readable & { isTTY?: boolean; isRaw?: boolean; setRawMode?: (mode: boolean) => unknown };
/** A terminal's screen side, as a tty.WriteStream has it. */
export type TerminalOutput = Writable & { isTTY?: boolean; columns?: number; rows?: number };

/**
 * The terminal a run talks to a person through: answers come from `input`, questions go to `questions`
 * (stderr, so `fab task > out.txt` still shows them), interactive shells draw on `screen` (stdout).
 */
export interface Terminal {
  input: TerminalInput;
  questions: Writable;
  screen: TerminalOutput;
}

/** The streams fab was given; `input` absent means no one can answer. */
export type TerminalStreams = Omit<Terminal, 'input'> & { input: TerminalInput | undefined };

let configured: TerminalStreams | undefined;

/** `fab` sets the terminal from its Io; library use and tests get the process's own streams. */
export function setTerminal(streams: TerminalStreams | undefined): void {
  configured = streams;
}

function terminal(): TerminalStreams {
  return configured ?? { input: process.stdin, questions: process.stderr, screen: process.stdout };
}

/** Why no question can be asked right now, or undefined when one can. */
export function terminalUnavailable(): string | undefined {
  if (env.abortOnPrompts) return '--abort-on-prompts is set';
  if (!terminal().input?.isTTY) return 'there is no terminal (stdin is not a TTY)';
  return undefined;
}

/** The size a remote pty should have: the local screen's, else the usual 80x24. */
export function terminalSize(): { cols: number; rows: number } {
  const { screen, questions } = terminal();
  const sized = screen.isTTY ? screen : (questions as TerminalOutput).isTTY ? (questions as TerminalOutput) : undefined;
  return { cols: sized?.columns || 80, rows: sized?.rows || 24 };
}

/** One question (or shell) on the terminal at a time, however many hosts run in parallel. */
const turn = new Semaphore(1);

/**
 * Runs fn with the terminal to itself: waits for its turn, tells renderers to pause ('prompt' start/end
 * events), and gives the turn back however fn ends. Callers check terminalUnavailable() first.
 */
export async function withTerminal<T>(host: string | undefined, fn: (terminal: Terminal) => Promise<T>, options: { shell?: boolean } = {}): Promise<T> {
  const release = await turn.acquire();
  events.emit({ kind: 'prompt', host, state: 'start', ...(options.shell ? { shell: true } : {}) });
  try {
    const streams = terminal();
    if (!streams.input) throw new FabError('PROMPT', `${host ?? 'fab'} needs the terminal, but fab was given no input`, host ? { host } : {});
    return await fn({ ...streams, input: streams.input });
  } finally {
    events.emit({ kind: 'prompt', host, state: 'end', ...(options.shell ? { shell: true } : {}) });
    release();
  }
}
