import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/**
 * Hands out the bytes to upload, in order, in pieces of at most `chunk` bytes. A piece is only valid until
 * the next call to next(): the pipeline copies it into a WRITE request at once, so buffers are reused.
 */
export interface ChunkReader {
  next(): Promise<Buffer | undefined>;
}

/** Local file reads in blocks of several chunks: fewer trips through libuv's thread pool. */
const CHUNKS_PER_READ = 4;

export function fileChunks(file: FileHandle, chunk: number): ChunkReader {
  const block = Buffer.allocUnsafe(chunk * CHUNKS_PER_READ);
  let filled = 0;
  let offset = 0;
  let position = 0;
  let eof = false;
  return {
    async next() {
      if (offset >= filled) {
        if (eof) return undefined;
        const { bytesRead } = await file.read(block, 0, block.length, position);
        position += bytesRead;
        filled = bytesRead;
        offset = 0;
        if (bytesRead < block.length) eof = true;
        if (bytesRead === 0) return undefined;
      }
      const piece = block.subarray(offset, Math.min(offset + chunk, filled));
      offset += piece.length;
      return piece;
    },
  };
}

export function bufferChunks(data: Buffer, chunk: number): ChunkReader {
  let offset = 0;
  return {
    async next() {
      if (offset >= data.length) return undefined;
      const piece = data.subarray(offset, offset + chunk);
      offset += piece.length;
      return piece;
    },
  };
}

/** A readable stream regrouped into full chunks (a stream's own pieces are often far smaller). */
export function streamChunks(stream: Readable, chunk: number): ChunkReader {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let held: Buffer[] = [];
  let heldBytes = 0;
  let ended = false;
  return {
    async next() {
      while (!ended && heldBytes < chunk) {
        const { value, done } = await iterator.next();
        if (done) {
          ended = true;
          break;
        }
        const piece = typeof value === 'string' ? Buffer.from(value) : value;
        held.push(piece);
        heldBytes += piece.length;
      }
      if (heldBytes === 0) return undefined;
      const all = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
      const piece = all.subarray(0, chunk);
      const rest = all.subarray(piece.length);
      held = rest.length > 0 ? [rest] : [];
      heldBytes = rest.length;
      return piece;
    },
  };
}
