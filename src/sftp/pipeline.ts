import type { SftpSession } from './session.ts';
import type { ChunkReader } from './sources.ts';

/**
 * Requests kept in flight per file. With OpenSSH's 255 KiB chunks, 32 requests are 8 MiB in flight: enough
 * to keep the channel window (2 MiB each way in ssh2 and sshd) full, with room for the latency of a gateway.
 */
export const REQUESTS_IN_FLIGHT = 32;

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

function aborted(signal: AbortSignal | undefined): Error | undefined {
  if (!signal?.aborted) return undefined;
  return signal.reason instanceof Error ? signal.reason : new Error('the transfer was cancelled');
}

/**
 * Writes everything the reader yields to an open remote handle with many WRITE requests in flight.
 * Resolves the number of bytes written once the server has confirmed every one.
 */
export function writeAll(session: SftpSession, handle: Buffer, path: string, reader: ChunkReader, options: PipelineOptions = {}): Promise<number> {
  const limit = Math.max(1, options.inFlight ?? REQUESTS_IN_FLIGHT);
  return new Promise<number>((resolve, reject) => {
    let position = 0;
    let confirmed = 0;
    let active = 0;
    let ended = false;
    let failed = false;
    let pumping = false;

    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    const finishIfDone = () => {
      if (!failed && ended && active === 0) resolve(position);
    };
    const pump = async () => {
      if (pumping || failed) return;
      pumping = true;
      try {
        while (!failed && !ended && active < limit) {
          const stop = aborted(options.signal);
          if (stop) return fail(stop);
          const piece = await reader.next();
          if (failed) return;
          if (!piece) {
            ended = true;
            break;
          }
          const at = position;
          position += piece.length;
          active++;
          session.write(handle, path, piece, 0, piece.length, at).then(() => {
            active--;
            confirmed += piece.length;
            options.onProgress?.(confirmed);
            if (ended) finishIfDone();
            else void pump();
          }, fail);
        }
        finishIfDone();
      } catch (error) {
        fail(error);
      } finally {
        pumping = false;
      }
    };
    void pump();
  });
}

/**
 * Reads `size` bytes of an open remote handle with many READ requests in flight and hands them to the sink.
 * A short read asks again for the rest; an early end of file means the file shrank while being read.
 */
export function readAll(session: SftpSession, handle: Buffer, path: string, size: number, sink: ByteSink, options: PipelineOptions = {}): Promise<number> {
  const limit = Math.max(1, options.inFlight ?? REQUESTS_IN_FLIGHT);
  const chunk = session.readChunk;
  return new Promise<number>((resolve, reject) => {
    const retries: { at: number; length: number }[] = [];
    const spare: Buffer[] = [];
    let next = 0;
    let stored = 0;
    let active = 0;
    let failed = false;

    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    const take = (): { at: number; length: number } | undefined => {
      const retry = retries.pop();
      if (retry) return retry;
      if (next >= size) return undefined;
      const range = { at: next, length: Math.min(chunk, size - next) };
      next += range.length;
      return range;
    };
    const pump = () => {
      while (!failed && active < limit) {
        const stop = aborted(options.signal);
        if (stop) return fail(stop);
        const range = take();
        if (!range) break;
        active++;
        // Buffers of requests still in flight are never reused: ssh2 fills them when the reply comes.
        const buffer = spare.pop() ?? Buffer.allocUnsafe(chunk);
        session
          .read(handle, path, buffer, 0, range.length, range.at)
          .then(async (bytes) => {
            if (failed) return;
            if (bytes === 0) throw new Error(`the file ended at ${range.at} bytes, not ${size}: it changed while being read`);
            if (bytes < range.length) retries.push({ at: range.at + bytes, length: range.length - bytes });
            await sink.write(buffer, bytes, range.at);
            spare.push(buffer);
            active--;
            stored += bytes;
            options.onProgress?.(stored);
            pump();
          })
          .catch(fail);
      }
      if (!failed && active === 0 && retries.length === 0 && next >= size) resolve(stored);
    };
    pump();
  });
}
