import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { bufferChunks, fileChunks, streamChunks, type ChunkReader } from '../../../src/sftp/sources.ts';

/** Drains a reader the way the pipeline does: each piece is copied before the next is asked for. */
async function drain(reader: ChunkReader, chunk: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let piece = await reader.next(); piece; piece = await reader.next()) {
    assert.ok(piece.length > 0 && piece.length <= chunk, `piece of ${piece.length} bytes`);
    pieces.push(Buffer.from(piece));
  }
  return Buffer.concat(pieces);
}

test('a local file comes out whole and in order, whatever its size against the chunk and the read-ahead blocks', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-chunks-'));
  const chunk = 1000;
  for (const size of [0, 1, 999, 1000, 1001, 4000, 4001, 7999, 8000, 8001, 12345]) {
    const data = randomBytes(size);
    fs.writeFileSync(path.join(dir, 'f'), data);
    const file = await open(path.join(dir, 'f'));
    try {
      assert.ok((await drain(fileChunks(file, chunk), chunk)).equals(data), `${size} bytes`);
    } finally {
      await file.close();
    }
  }
});

test('a Buffer is cut in chunks; a stream is regrouped into full chunks', async () => {
  const data = randomBytes(10_000);
  assert.ok((await drain(bufferChunks(data, 3000), 3000)).equals(data));
  const pieces: Buffer[] = [];
  const reader = streamChunks(Readable.from([data.subarray(0, 10), data.subarray(10, 5000), data.subarray(5000), Buffer.alloc(0)]), 3000);
  for (let piece = await reader.next(); piece; piece = await reader.next()) pieces.push(Buffer.from(piece));
  assert.deepEqual(pieces.map((piece) => piece.length), [3000, 3000, 3000, 1000]);
  assert.ok(Buffer.concat(pieces).equals(data));
  assert.equal(await streamChunks(Readable.from(['text ', 'pieces']), 100).next().then((piece) => piece?.toString()), 'text pieces');
});
