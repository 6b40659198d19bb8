import { constants } from 'node:os';
import type { ClientChannel } from 'ssh2';
import { FabError } from '../../errors.ts';
import type { Terminal } from './terminal.ts';

/** Signals that end fab while a session holds the terminal: the terminal is restored first. */
const FATAL_SIGNALS = ['SIGTERM', 'SIGHUP'] as const;

/** A remote status as a shell reports it: the exit code, or 128 + the signal's number. */
function statusOf(code: number | null | undefined, signal: string | undefined): number {
  if (typeof code === 'number') return code;
  const number = signal ? constants.signals[`SIG${signal}` as keyof typeof constants.signals] : undefined;
  return number ? 128 + number : 255;
}

/**
 * Joins the local terminal to a remote pty channel until the channel closes: raw mode (so Ctrl-C, arrows
 * and tab reach the remote side), window resizes forwarded, the remote exit status returned. The local
 * terminal is restored on every way out: remote exit, lost connection, an exception in here, fab's
 * own exit and SIGTERM/SIGHUP.
 */
export function joinTerminal(channel: ClientChannel, terminal: Terminal, lost: () => FabError | undefined): Promise<number> {
  const { input, screen } = terminal;
  const wasRaw = input.isRaw ?? false;
  return new Promise<number>((resolve, reject) => {
    let restored = false;
    const restore = () => {
      if (restored) return;
      restored = true;
      input.off('data', toRemote);
      screen.off('resize', resize);
      process.off('exit', restore);
      for (const signal of FATAL_SIGNALS) process.off(signal, onSignal);
      try {
        input.setRawMode?.(wasRaw);
      } finally {
        input.pause();
      }
    };
    const fail = (error: unknown) => {
      restore();
      channel.close();
      reject(error);
    };
    const guard =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A) => {
        try {
          fn(...args);
        } catch (error) {
          fail(error);
        }
      };
    const toRemote = guard((bytes: Buffer) => channel.write(bytes));
    const toScreen = guard((bytes: Buffer) => screen.write(bytes));
    const resize = guard(() => channel.setWindow(screen.rows ?? 24, screen.columns ?? 80, 0, 0));
    const onSignal = (signal: NodeJS.Signals) => {
      restore();
      channel.close();
      // fab's own handler winds the run down; with none (a library user), the signal does what it would have.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };

    channel.on('data', toScreen);
    channel.stderr.on('data', toScreen);
    channel.once('close', (code?: number | null, signal?: string) => {
      restore();
      const error = code === undefined ? lost() : undefined;
      if (error) reject(error);
      else resolve(statusOf(code, signal));
    });
    channel.once('error', fail);
    process.once('exit', restore);
    for (const signal of FATAL_SIGNALS) process.once(signal, onSignal);
    screen.on('resize', resize);
    input.on('data', toRemote);
    try {
      input.setRawMode?.(true);
      input.resume();
    } catch (error) {
      fail(error);
    }
  });
}
