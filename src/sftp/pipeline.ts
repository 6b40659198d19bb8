import { REQUESTS_IN_FLIGHT } from './buffer-pool.ts';
import type { SftpSession } from './session.ts';
import type { ByteSource } from './sources.ts';

export interface PipelineOptions {
  inFlight?: number;
  /** Called with the running total of bytes confirmed by the server (upload) or stored (download). */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** Where downloaded bytes go: positional writes, in any order. */
export interface ByteSink {
  write(data: Buffer, length: number, position: number): Promise<void>;
}

/** Reads below this size use a buffer of their own size rather than a pooled full-chunk one. */
const SMALL_READ = 64 * 1024;

/** The first error rejects; later ones are dropped. `failed()` tells whether it has happened. */
function failOnce(reject: (error: unknown) => void): { fail: (error: unknown) => void; failed: () => boolean } {
  let failed = false;
  return {
    fail: (error) => {
      if (failed) return;
      failed = true;
      reject(error);
    },
    failed: () => failed,
  };
}

function aborted(signal: AbortSignal | undefined): Error | undefined {
  if (!signal?.aborted) return undefined;
  return signal.reason instanceof Error ? signal.reason : new Error('the transfer was cancelled');
}

/**
 * Writes everything the source yields to an open remote handle with many WRITE requests in flight. Each
 * request has a buffer of its own from the session's pool: the source reads straight into it, behind room
 * for the request header, and it goes back to the pool when the server has answered. Resolves the number
 * of bytes written once the server has confirmed every one.
 */
export function writeAll(session: SftpSession, handle: Buffer, path: string, source: ByteSource, options: PipelineOptions = {}): Promise<number> {
  const limit = Math.max(1, options.inFlight ?? REQUESTS_IN_FLIGHT);
  const headroom = session.writeHeadroom(handle);
  const size = headroom + session.writeChunk;
  return session.buffers.during(
    () =>
      new Promise<number>((resolve, reject) => {
        let written = 0;
        let confirmed = 0;
        let active = 0;
        const { fail, failed } = failOnce(reject);
        const settled = (buffer: Buffer) => {
          active--;
          if (buffer.length >= size) session.buffers.give(buffer);
        };
        const send = (buffer: Buffer, position: number, length: number) => {
          written += length;
          session.writeFrom(handle, path, buffer, headroom, length, position).then(
            () => {
              settled(buffer);
              confirmed += length;
              options.onProgress?.(confirmed);
              pump();
            },
            (error) => {
              settled(buffer);
              fail(error);
            },
          );
        };
        const pump = () => {
          while (!failed() && active < limit && source.ready()) {
            const stop = aborted(options.signal);
            if (stop) return fail(stop);
            active++;
            // A known rest smaller than a chunk (a small file, read at once) gets a buffer of its own size: a full
            // chunk for each of 2,000 small files, when the pool is empty between them, made V8 run a full
            // collection every few dozen files (it counts each new ArrayBuffer as external memory).
            const rest = source.remaining?.();
            const small = rest !== undefined && headroom + rest < size;
            const buffer = small ? Buffer.allocUnsafe(headroom + rest) : session.buffers.take(size);
            source.read(buffer.subarray(headroom, small ? headroom + rest : size)).then(
              (piece) => {
                if (failed() || !piece) {
                  settled(buffer);
                  return failed() ? undefined : pump();
                }
                send(buffer, piece.position, piece.length);
                pump();
              },
              (error) => {
                settled(buffer);
                fail(error);
              },
            );
          }
          if (!failed() && active === 0 && source.done()) resolve(written);
        };
        pump();
      }),
  );
}

/**
 * Reads `size` bytes of an open remote handle with many READ requests in flight and hands them to the sink.
 * A short read asks again for the rest; an early end of file means the file shrank while being read.
 */
export function readAll(session: SftpSession, handle: Buffer, path: string, size: number, sink: ByteSink, options: PipelineOptions = {}): Promise<number> {
  const limit = Math.max(1, options.inFlight ?? REQUESTS_IN_FLIGHT);
  const chunk = session.readChunk;
  return session.buffers.during(
    () =>
      new Promise<number>((resolve, reject) => {
        const retries: { at: number; length: number }[] = [];
        let next = 0;
        let stored = 0;
        let active = 0;
        const { fail, failed } = failOnce(reject);
        const take = (): { at: number; length: number } | undefined => {
          const retry = retries.pop();
          if (retry) return retry;
          if (next >= size) return undefined;
          const range = { at: next, length: Math.min(chunk, size - next) };
          next += range.length;
          return range;
        };
        const pump = () => {
          while (!failed() && active < limit) {
            const stop = aborted(options.signal);
            if (stop) return fail(stop);
            const range = take();
            if (!range) break;
            active++;
            // A buffer goes back to the pool only after its reply came: ssh2 fills it when the reply comes.
            // Small reads (small files, a last piece) take a small buffer of Node's own pool instead.
            const pooled = range.length >= SMALL_READ;
            const buffer = pooled ? session.buffers.take(chunk) : Buffer.allocUnsafe(range.length);
            session
              .read(handle, path, buffer, 0, range.length, range.at)
              .then(async (bytes) => {
                if (failed()) return;
                if (bytes === 0) throw new Error(`the file ended at ${range.at} bytes, not ${size}: it changed while being read`);
                if (bytes < range.length) retries.push({ at: range.at + bytes, length: range.length - bytes });
                await sink.write(buffer, bytes, range.at);
                if (pooled) session.buffers.give(buffer);
                active--;
                stored += bytes;
                options.onProgress?.(stored);
                pump();
              })
              .catch(fail);
          }
          if (!failed() && active === 0 && retries.length === 0 && next >= size) resolve(stored);
        };
        pump();
      }),
  );
}
