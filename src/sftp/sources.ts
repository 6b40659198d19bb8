import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** A piece of the upload: `length` bytes for `position` in the remote file, already in the caller's buffer. */
export interface Piece {
  position: number;
  length: number;
}

/**
 * The bytes to upload, read straight into the buffers the WRITE requests are sent from (no copy in between).
 * The pipeline calls read() while ready() says so, several at once when the source allows it.
 */
export interface ByteSource {
  /** Whether read() may be called now (false while the source waits for reads in flight, or has ended). */
  ready(): boolean;
  /** Whether every byte has been handed out (known once a read came back short or empty). */
  done(): boolean;
  /** Fills target from its start; resolves where those bytes belong, or undefined when there were none left. */
  read(target: Buffer): Promise<Piece | undefined>;
  /** The bytes still to come, when known for certain (an in-memory source): a small rest needs no full-size buffer. */
  remaining?(): number;
}

/**
 * A local file, read with positional reads, several in flight while they lie within the size the file had
 * when planned; past it, one read at a time finds the end (a file may grow while it is uploaded). A file
 * that shrank under a read already sent further on is an error, not a file with a hole.
 */
export function fileSource(file: FileHandle, expectedSize: number): ByteSource {
  let next = 0;
  let end = Infinity;
  let furthest = 0;
  let reading = 0;
  const changed = () => new Error('the local file changed while being read; upload it again');
  return {
    ready: () => next < end && (next < expectedSize || reading === 0),
    done: () => next >= end,
    async read(target) {
      const position = next;
      next += target.length;
      reading++;
      let bytesRead: number;
      try {
        ({ bytesRead } = await file.read(target, 0, target.length, position));
      } finally {
        reading--;
      }
      if (bytesRead < target.length) end = Math.min(end, position + bytesRead);
      if (bytesRead > 0) furthest = Math.max(furthest, position + bytesRead);
      if (furthest > end) throw changed();
      return bytesRead > 0 ? { position, length: bytesRead } : undefined;
    },
  };
}

export function bufferSource(data: Buffer): ByteSource {
  let offset = 0;
  return {
    ready: () => offset < data.length,
    done: () => offset >= data.length,
    remaining: () => data.length - offset,
    async read(target) {
      const position = offset;
      const length = data.copy(target, 0, offset, Math.min(data.length, offset + target.length));
      offset += length;
      return length > 0 ? { position, length } : undefined;
    },
  };
}

/** A readable stream, one read at a time, each filling its buffer as far as the stream gives (its own pieces are often far smaller). */
export function streamSource(stream: Readable): ByteSource {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let held: Buffer | undefined;
  let position = 0;
  let ended = false;
  let reading = false;
  return {
    ready: () => !ended && !reading,
    done: () => ended,
    async read(target) {
      reading = true;
      let filled = 0;
      try {
        while (filled < target.length) {
          if (!held || held.length === 0) {
            const { value, done } = await iterator.next();
            if (done) {
              ended = true;
              break;
            }
            held = typeof value === 'string' ? Buffer.from(value) : value;
          }
          const length = held.copy(target, filled);
          held = held.subarray(length);
          filled += length;
        }
      } finally {
        reading = false;
      }
      const piece = filled > 0 ? { position, length: filled } : undefined;
      position += filled;
      return piece;
    },
  };
}
