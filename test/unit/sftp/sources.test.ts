import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { bufferSource, fileSource, streamSource, type ByteSource } from '../../../src/sftp/sources.ts';

/**
 * Drains a source the way the upload pipeline does: as many reads at once as ready() allows (up to `inFlight`),
 * each into a buffer of its own of `chunk` bytes; the pieces are placed by their positions.
 */
async function drain(source: ByteSource, chunk: number, inFlight = 4): Promise<{ data: Buffer; reads: number }> {
  const placed: { position: number; bytes: Buffer }[] = [];
  let reads = 0;
  let active = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (active < inFlight && source.ready()) {
        active++;
        reads++;
        const target = Buffer.alloc(chunk);
        source.read(target).then((piece) => {
          active--;
          if (piece) {
            assert.ok(piece.length > 0 && piece.length <= chunk, `piece of ${piece.length} bytes`);
            placed.push({ position: piece.position, bytes: Buffer.from(target.subarray(0, piece.length)) });
          }
          pump();
        }, reject);
      }
      if (active === 0 && source.done()) resolve();
    };
    pump();
  });
  placed.sort((a, b) => a.position - b.position);
  let at = 0;
  for (const piece of placed) {
    assert.equal(piece.position, at, 'pieces follow each other without gap or overlap');
    at += piece.bytes.length;
  }
  return { data: Buffer.concat(placed.map((piece) => piece.bytes)), reads };
}

test('a local file comes out whole, read several pieces at once, whatever its size against the chunk', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-chunks-'));
  const chunk = 1000;
  try {
    for (const size of [0, 1, 999, 1000, 1001, 4000, 4001, 7999, 8000, 8001, 12345]) {
      const data = randomBytes(size);
      fs.writeFileSync(path.join(dir, 'f'), data);
      const file = await open(path.join(dir, 'f'));
      try {
        const { data: read, reads } = await drain(fileSource(file, size), chunk);
        assert.ok(read.equals(data), `${size} bytes`);
        // Within the planned size reads run at once; past it one read finds the end: never more than one wasted.
        assert.ok(reads <= Math.floor(size / chunk) + 1, `${size} bytes took ${reads} reads`);
      } finally {
        await file.close();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a local file that grew since it was planned is read to its real end; one that shrank under a read is an error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-chunks-'));
  try {
    const data = randomBytes(5500);
    fs.writeFileSync(path.join(dir, 'f'), data);
    const file = await open(path.join(dir, 'f'));
    try {
      assert.ok((await drain(fileSource(file, 2000), 1000)).data.equals(data), 'planned at 2000 bytes, read all 5500');
    } finally {
      await file.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // Reads finish in any order: the one at 2000 brings data, then the file shrinks and the one at 1000 comes back short.
  let content = randomBytes(3000);
  const pending: (() => void)[] = [];
  const fake = {
    read: (target: Buffer, offset: number, length: number, position: number) =>
      new Promise<{ bytesRead: number }>((resolve) => pending.push(() => resolve({ bytesRead: content.copy(target, offset, position, Math.min(content.length, position + length)) }))),
  };
  const source = fileSource(fake as unknown as FileHandle, 3000);
  const reads = [source.read(Buffer.alloc(1000)), source.read(Buffer.alloc(1000)), source.read(Buffer.alloc(1000))];
  pending[2]!();
  assert.deepEqual(await reads[2], { position: 2000, length: 1000 });
  content = content.subarray(0, 1500);
  pending[1]!();
  await assert.rejects(reads[1]!, /changed while being read/);
  pending[0]!();
  await assert.rejects(reads[0]!, /changed while being read/, 'and so is every read after it');
});

test('a Buffer is handed out in chunks; a stream fills each chunk from its smaller pieces', async () => {
  const data = randomBytes(10_000);
  assert.ok((await drain(bufferSource(data), 3000)).data.equals(data));
  const stream = streamSource(Readable.from([data.subarray(0, 10), data.subarray(10, 5000), data.subarray(5000), Buffer.alloc(0)]));
  const sizes: number[] = [];
  const pieces: Buffer[] = [];
  while (stream.ready()) {
    const target = Buffer.alloc(3000);
    const piece = await stream.read(target);
    if (!piece) break;
    sizes.push(piece.length);
    pieces.push(target.subarray(0, piece.length));
  }
  assert.ok(stream.done());
  assert.deepEqual(sizes, [3000, 3000, 3000, 1000]);
  assert.ok(Buffer.concat(pieces).equals(data));
  const text = Buffer.alloc(100);
  const piece = await streamSource(Readable.from(['text ', 'pieces'])).read(text);
  assert.equal(text.subarray(0, piece!.length).toString(), 'text pieces');
});
