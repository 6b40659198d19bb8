import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import { currentHost, type CurrentHost } from '../../env/context.ts';
import { FabError } from '../../errors.ts';
import { connectionFor, type PooledConnection } from '../../ssh/pool.ts';
import type { CommandProcess } from './command.ts';
import { terminalSize } from '../interactive/terminal.ts';

/** How long a remote command gets after SIGTERM over the channel before the channel is closed. */
const TERMINATE_GRACE_MS = 1000;

/** The current host, or a clear error for a remote operation called where no host is set. */
export function requireHost(operation: string): CurrentHost {
  const host = currentHost();
  if (!host) {
    throw new FabError('NO_HOST', `${operation}() needs a host, and this task has none: give -H host, or hosts/roles on the task or in env`);
  }
  return host;
}

/** A pty for run/sudo `pty: true`, sized like the local terminal (80x24 without one). */
export function ptyOptions(): PseudoTtyOptions {
  return { term: process.env.TERM || 'xterm', ...terminalSize() };
}

/**
 * Wraps an exec channel as a CommandProcess for the shared IO loop. The exit status is read from the
 * channel's 'close' event, which ssh2 emits with it: an 'exit' listener added after the channel opened
 * misses a status that arrived in the same packet batch as the open confirmation (a fast command
 * behind a gateway does that).
 */
export function channelProcess(connection: PooledConnection, channel: ClientChannel, pty: boolean): CommandProcess {
  const stderrEnded = pty ? Promise.resolve() : new Promise<void>((resolve) => channel.stderr.once('close', resolve).once('end', resolve));
  let giveUp: (() => void) | undefined;
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    giveUp = () => resolve({ code: null, signal: null });
    channel.once('close', (code?: number | null, signal?: string) => {
      if (code === undefined && !connection.alive) {
        reject(new FabError('CONNECTION_LOST', `${connection.target.label}: the connection was lost while the command ran${connection.lossDetail}`, { host: connection.target.label }));
        return;
      }
      const status = { code: typeof code === 'number' ? code : null, signal: code === null ? (signal ?? null) : null };
      void stderrEnded.then(() => resolve(status));
    });
  });
  const timers: NodeJS.Timeout[] = [];
  const later = (ms: number, fn: () => void) => timers.push(setTimeout(fn, ms).unref());
  exit.finally(() => timers.forEach(clearTimeout)).catch(() => {});
  return {
    stdout: channel,
    stderr: pty ? undefined : channel.stderr,
    write: (data) => channel.write(data),
    endInput: () => channel.end(),
    exit,
    terminate: () => {
      if (timers.length > 0) return;
      // Ask sshd to signal the process, then close the channel; closing alone would leave it running.
      signalChannel(channel, 'TERM');
      later(TERMINATE_GRACE_MS, () => {
        // A command that ignores SIGTERM: sshd holds the channel open while it runs, so it is killed.
        signalChannel(channel, 'KILL');
        channel.close();
        // Never wait forever for a channel the server does not close.
        later(TERMINATE_GRACE_MS * 3, () => giveUp?.());
      });
    },
  };
}

interface ChannelInternals {
  outgoing: { id: number; state: string };
  _client: { _protocol: { signal(id: number, name: string): void } };
}

/**
 * Sends a signal request. ssh2's channel.signal() drops it silently once our side has sent EOF (which every
 * command without stdin has), though the protocol allows requests until the channel closes.
 */
export function signalChannel(channel: ClientChannel, name: string): void {
  const { outgoing, _client } = channel as unknown as ChannelInternals;
  if (outgoing.state !== 'open' && outgoing.state !== 'eof') return;
  try {
    _client._protocol.signal(outgoing.id, name);
  } catch {
    /* the connection is gone already */
  }
}

/**
 * Opens an exec channel on the host's pooled connection and runs line there. With a command timeout, a host
 * that does not even answer the channel request within it (frozen) fails the command and drops the connection.
 */
export async function startRemote(hostText: string, line: string, pty: boolean, timeoutSeconds?: number, signal?: AbortSignal): Promise<CommandProcess> {
  const connection = await connectionFor(hostText);
  const channel = await connection.exec(line, {
    ...(pty ? { pty: ptyOptions() } : {}),
    ...(timeoutSeconds && timeoutSeconds > 0 ? { openTimeoutMs: timeoutSeconds * 1000 } : {}),
    ...(signal ? { signal } : {}),
  });
  return channelProcess(connection, channel, pty);
}
