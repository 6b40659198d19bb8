// The bulk data path: fabts' adaptations of ssh2 internals (src/ssh/packet-arena.ts, receive-ring.ts,
// src/sftp/fast-path.ts). They reuse memory, so what matters is that no byte is ever read from memory reused
// too early: big transfers both ways, with command output arriving on the same connection, across a re-key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { get, put, run, hide } from '../../src/index.ts';
import { gathersData } from '../../src/sftp/fast-path.ts';
import { SftpSession } from '../../src/sftp/session.ts';
import { connectionFor } from '../../src/ssh/pool.ts';
import { ringOf } from '../../src/ssh/socket.ts';
import { ssh2InternalsKnown } from '../../src/ssh/ssh2-internals.ts';
import { closePoolAfter, onHost, useTestbed } from '../support/remote.ts';
import { localScratch, randomContent, remoteScratch, writeAsUser } from '../support/files.ts';

const tb = useTestbed();
closePoolAfter();

interface Ssh2ClientInternals {
  _sock: object;
  _protocol: { _cipher: object; rekey(): void };
  once(event: 'handshake', listener: () => void): void;
}

test('with the installed ssh2 the bulk path is on: packets from the arena, reads into the ring, WRITEs framed in place, DATA gathered', async () => {
  const version = (createRequire(import.meta.url)('ssh2/package.json') as { version: string }).version;
  assert.ok(ssh2InternalsKnown(), `ssh2 ${version} is not a version src/ssh/ssh2-internals.ts knows: re-read the internals it lists, then add it`);
  await onHost('direct', async () => {
    const connection = await connectionFor('direct');
    const client = connection.client as unknown as Ssh2ClientInternals;
    const sftp = await connection.sftp();
    assert.equal(SftpSession.for(sftp).writesInPlace, true);
    assert.equal(gathersData(sftp), true);
    assert.equal(ringOf(client._sock)?.active, true);
    assert.ok(Object.hasOwn(client._protocol._cipher, 'allocPacket'), 'the cipher allocates from the arena');
  });
});

test('big transfers both ways while a command streams output on the same connection, across a re-key: every byte right', async () => {
  const local = localScratch();
  const remote = remoteScratch(tb, 'bulk');
  const up = randomContent(24 * 1024 * 1024 + 4321);
  const down = randomContent(24 * 1024 * 1024 + 1234);
  // Text a command prints while the transfers run: its channel's data arrives in the same socket reads.
  const text = randomContent(3 * 1024 * 1024).toString('base64');
  fs.writeFileSync(path.join(local, 'up.bin'), up);
  writeAsUser(tb, `${remote}/down.bin`, down);
  writeAsUser(tb, `${remote}/text.txt`, text);
  await onHost('direct', async () => {
    const connection = await connectionFor('direct');
    const client = connection.client as unknown as Ssh2ClientInternals;
    const cipherBefore = client._protocol._cipher;
    const rekeyed = new Promise<void>((resolve) => client.once('handshake', resolve));
    const moving = Promise.all([
      put(path.join(local, 'up.bin'), `${remote}/up.bin`),
      get(`${remote}/down.bin`, path.join(local, 'down.bin')),
      hide('stdout', () => run(`cat ${remote}/text.txt`)),
    ]);
    // A re-key while bytes flow both ways: the new cipher and decipher must be adopted too.
    setTimeout(() => client._protocol.rekey(), 30);
    const [, , printed] = await moving;
    await rekeyed;
    assert.ok(fs.readFileSync(`${remote}/up.bin`).equals(up), 'put: the remote file is the local one');
    assert.ok(fs.readFileSync(path.join(local, 'down.bin')).equals(down), 'get: the local file is the remote one');
    assert.equal(printed.stdout.length, text.length);
    assert.ok(printed.stdout === text, 'the command output arrived intact');
    assert.notEqual(client._protocol._cipher, cipherBefore, 'a new cipher after the re-key');
    assert.ok(Object.hasOwn(client._protocol._cipher, 'allocPacket'), 'the new cipher allocates from the arena too');
    assert.equal(ringOf(client._sock)?.active, true, 'the new decipher works with the ring too');
    // And the connection still carries both ways after it.
    await put(Buffer.from('after'), `${remote}/after.txt`);
    assert.equal(fs.readFileSync(`${remote}/after.txt`, 'utf8'), 'after');
  });
});

test('a connection that drops in the middle of a put or a get fails it at once with "the connection was lost"', async () => {
  const local = localScratch();
  const remote = remoteScratch(tb, 'drop');
  const data = randomContent(16 * 1024 * 1024);
  fs.writeFileSync(path.join(local, 'up.bin'), data);
  writeAsUser(tb, `${remote}/down.bin`, data);
  for (const move of [() => put(path.join(local, 'up.bin'), `${remote}/up.bin`), () => get(`${remote}/down.bin`, path.join(local, 'down.bin'))]) {
    await onHost('direct', async () => {
      const connection = await connectionFor('direct');
      const socket = (connection.client as unknown as { _sock: { destroy(): void } })._sock;
      // Once the first bytes moved: the cleanup after the drop (close, unlink) must not wait for a dead session.
      await assert.rejects(Promise.all([move(), new Promise((resolve) => setTimeout(resolve, 20)).then(() => socket.destroy())]), /the connection was lost/);
    });
  }
  assert.ok(!fs.existsSync(path.join(local, 'down.bin')), 'no partial download under the real name');
});
