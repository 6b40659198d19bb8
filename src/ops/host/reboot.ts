import { setTimeout as sleep } from 'node:timers/promises';
import { FabError, describeError } from '../../errors.ts';
import { events } from '../../report/events.ts';
import { connectionFor, dropConnection, type PooledConnection } from '../../ssh/pool.ts';
import { requireHost } from '../command/remote.ts';
import { sudo } from '../sudo/sudo.ts';

export interface RebootOptions {
  /** Seconds to wait, in all, for the host to go down and answer again (default 120). */
  wait?: number;
  /** The command run through sudo (default `reboot`). */
  command?: string;
}

/** Seconds between two attempts to reach the host again. */
const RETRY_EVERY_MS = 1000;

function closed(connection: PooledConnection): Promise<void> {
  if (!connection.alive) return Promise.resolve();
  return new Promise((resolve) => connection.client.once('close', () => resolve()));
}

/**
 * Reboots the current host (Fabric's reboot): runs `command` through sudo, waits for the host to drop
 * the connection, drops it from the pool, then reconnects as soon as the host answers again. Fails
 * (TIMEOUT) if the host does not go down, or is not back, within `wait` seconds. Later operations on
 * this host use the new connection.
 */
export async function reboot(options: RebootOptions = {}): Promise<void> {
  const host = requireHost('reboot').text;
  const wait = options.wait ?? 120;
  const command = options.command ?? 'reboot';
  const deadline = Date.now() + wait * 1000;
  const connection = await connectionFor(host);
  const down = closed(connection);
  events.emit({ kind: 'status', host, message: `rebooting (${command}); waiting up to ${wait}s for it to come back` });
  try {
    await sudo(command, { warnOnly: true });
  } catch (error) {
    // The host going down under the command is what a reboot looks like.
    if (!(error instanceof FabError && (error.code === 'CONNECTION_LOST' || error.code === 'CONNECT_FAILED'))) throw error;
  }
  const wentDown = await Promise.race([down.then(() => true), sleep(Math.max(0, deadline - Date.now()), false)]);
  if (!wentDown) {
    throw new FabError('TIMEOUT', `${host} did not go down within ${wait}s after "${command}"; check the command (or raise wait)`, { host });
  }
  await dropConnection(host);
  for (let attempt = 1; ; attempt++) {
    try {
      await connectionFor(host);
      events.emit({ kind: 'status', host, message: `back after reboot` });
      return;
    } catch (error) {
      // A failed open stays in the pool; drop it so the next attempt really tries again.
      await dropConnection(host);
      events.emit({ kind: 'debug', host, message: `not back yet (attempt ${attempt}): ${describeError(error)}` });
      if (Date.now() + RETRY_EVERY_MS > deadline) {
        throw new FabError('TIMEOUT', `${host} did not come back within ${wait}s after "${command}": ${describeError(error)}`, { host });
      }
      await sleep(RETRY_EVERY_MS);
    }
  }
}
