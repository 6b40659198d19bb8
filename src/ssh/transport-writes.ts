import type { Writable } from 'node:stream';
import type { PacketArena } from './packet-arena.ts';

/**
 * Wraps the write() of a connection's transport (TCP socket, ProxyCommand pipe, or a channel of the gateway
 * connection); ssh2 writes every SSH packet through it and nothing else.
 *
 * - Coalescing: ssh2 writes each packet on its own, one write(2) per 32 KiB during a transfer. Corked for the
 *   rest of the current tick, the packets written by one go of JavaScript leave in one writev(2) as soon as
 *   it is done (process.nextTick runs before any I/O), so no packet waits on a timer or on I/O.
 * - Arena: a packet carved from the connection's PacketArena keeps its slab in use until the transport's
 *   write callback says the transport is done with the bytes (handed to the kernel, or copied into the
 *   gateway's own packets).
 */
export function wrapTransportWrites(transport: Writable, arena?: PacketArena): void {
  const write = transport.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    transport.uncork();
  };
  transport.write = function wrappedWrite(this: Writable, chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
    if (!corked) {
      corked = true;
      transport.cork();
      process.nextTick(uncork);
    }
    const release = arena && Buffer.isBuffer(chunk) ? arena.taken(chunk) : undefined;
    if (!release) return (write as (...args: unknown[]) => boolean).call(this, chunk, encodingOrCallback, callback);
    const done = (typeof encodingOrCallback === 'function' ? encodingOrCallback : callback) as ((error?: Error | null) => void) | undefined;
    const encoding = typeof encodingOrCallback === 'function' ? undefined : (encodingOrCallback as BufferEncoding | undefined);
    return write.call(this, chunk, encoding as BufferEncoding, (error?: Error | null) => {
      release();
      done?.(error);
    });
  } as Writable['write'];
}
