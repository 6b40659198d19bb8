import { runLocal } from '../env/context.ts';
import type { ConnectionMap } from '../ssh/pool.ts';

/**
 * Where library Connections keep their SSH connections: one per user@host:port and chain of gateways, shared by
 * every Connection on this pool that resolves to it (so two hosts behind one bastion use one bastion connection).
 * Connections retain what they use and release it on close; a connection nobody holds any more is closed then.
 */
export class Pool {
  /** @internal the map the SSH layer reads through the Connection's context. */
  readonly connections: ConnectionMap = new Map();
  private readonly holders = new Map<string, number>();

  /** @internal */
  retain(keys: readonly string[]): void {
    for (const key of keys) this.holders.set(key, (this.holders.get(key) ?? 0) + 1);
  }

  /** @internal Lets go of keys; each one no Connection holds any more is closed (targets before their gateways). */
  async release(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const left = (this.holders.get(key) ?? 1) - 1;
      if (left > 0) {
        this.holders.set(key, left);
        continue;
      }
      this.holders.delete(key);
      await this.closeKey(key);
    }
  }

  private async closeKey(key: string): Promise<void> {
    const pending = this.connections.get(key);
    this.connections.delete(key);
    const connection = await pending?.catch(() => undefined);
    if (!connection) return;
    const socket = (connection.client as unknown as { _sock?: { destroyed?: boolean } })._sock;
    if (!socket || socket.destroyed) return connection.close();
    // Resolves once the server has the goodbye; PooledConnection.close() drops a silent server after a grace period.
    const closed = new Promise<void>((resolve) => connection.client.once('close', () => resolve()));
    connection.close();
    await closed;
  }

  /** Closes every connection of this pool, held or not. */
  async close(): Promise<void> {
    this.holders.clear();
    await Promise.all([...this.connections.keys()].map((key) => this.closeKey(key)));
  }

  /** How many connections are open or opening (gateways included). */
  get size(): number {
    return this.connections.size;
  }
}

const runPool = runLocal(() => new Pool());

/** The pool Connections use unless given one: one per run (the process run outside createRun()). */
export function defaultPool(): Pool {
  return runPool();
}

/** A pool of its own, for Connections that must not share SSH connections with the rest of the process. */
export function createPool(): Pool {
  return new Pool();
}
