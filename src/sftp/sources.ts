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

/**
 * A local file in chunks. Two blocks take turns: while the pipeline sends one, the next is already being
 * read, so issuing requests never waits for the disk (or the thread pool) when the data is cached.
 */
export function fileChunks(file: FileHandle, chunk: number): ChunkReader {
  const size = chunk * CHUNKS_PER_READ;
  const blocks = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let position = 0;
  let turn = 0;
  const readBlock = (block: Buffer): Promise<Buffer> => {
    const at = position;
    position += size;
    const reading = file.read(block, 0, size, at).then(({ bytesRead }) => block.subarray(0, bytesRead));
    reading.catch(() => {}); // a read ahead nobody waits for (the upload failed) must not crash the process
    return reading;
  };
  let next: Promise<Buffer> = readBlock(blocks[0]!);
  let current: Buffer | undefined;
  let offset = 0;
  return {
    async next() {
      if (!current || offset >= current.length) {
        if (current && current.length < size) return undefined;
        current = await next;
        offset = 0;
        if (current.length === 0) return undefined;
        // The block handed out before this one has been copied into its requests: it may be refilled.
        turn ^= 1;
        next = current.length === size ? readBlock(blocks[turn]!) : Promise.resolve(Buffer.alloc(0));
      }
      const piece = current.subarray(offset, offset + chunk);
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
