// A server without an SFTP subsystem (no `Subsystem sftp` line, or Dropbear without sftp-server; issue 16
// item 6): put and get fall back to exec channels, still atomic (temp name, size check, rename), and so does every
// other file operation (test/support/no-sftp-cases.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { get, put, run, settings } from '../../src/index.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import { hostSettings, startCompatSshd } from '../support/compat-hosts.ts';
import { noSftpCases } from '../support/no-sftp-cases.ts';
import { localScratch, randomContent, remoteScratch, tempFilesIn } from '../support/files.ts';
import { onHost, useTestbed, type Testbed } from '../support/remote.ts';
import type { ExtraSshd } from '../support/sshd.ts';

let tb: Testbed;
let sshd: ExtraSshd;
let host: string;
before(async () => {
  tb = useTestbed();
  sshd = await startCompatSshd(tb, [], ['Subsystem']);
  host = `127.0.0.1:${sshd.port}`;
});
after(() => sshd?.stop());
afterEach(() => closeAll());

const onServer = <T>(fn: () => Promise<T>) => onHost(host, () => settings(hostSettings(tb), fn));

describe('a server with no SFTP subsystem', () => {
  it('put and get move files over exec channels, byte for byte, leaving no temp file', async () => {
    const dir = remoteScratch(tb, 'nosftp');
    const local = localScratch();
    const content = randomContent(300_000);
    fs.writeFileSync(path.join(local, 'blob.bin'), content);
    fs.writeFileSync(`${dir}/old.txt`, 'old\n');
    fs.chownSync(`${dir}/old.txt`, tb.uid, tb.uid);
    const results = await onServer(async () => {
      const up = await put(path.join(local, 'blob.bin'), `${dir}/blob.bin`, { mode: 0o640 });
      await put(Buffer.from("it's new\n"), `${dir}/old.txt`);
      const down = await get(`${dir}/blob.bin`, path.join(local, 'back.bin'));
      return { up: up.files.map((f) => f.bytes), down: down.files.map((f) => f.bytes), after: String(await run('echo still-fine')) };
    });
    assert.deepEqual(results, { up: [300_000], down: [300_000], after: 'still-fine' });
    assert.ok(fs.readFileSync(`${dir}/blob.bin`).equals(content));
    assert.equal(fs.statSync(`${dir}/blob.bin`).mode & 0o777, 0o640);
    assert.equal(fs.readFileSync(`${dir}/old.txt`, 'utf8'), "it's new\n");
    assert.ok(fs.readFileSync(path.join(local, 'back.bin')).equals(content));
    assert.deepEqual(tempFilesIn(dir), []);
  });

});

describe('a server with no SFTP subsystem (OpenSSH without a Subsystem line): the rest over exec channels', () => {
  noSftpCases(() => ({ tb, user: { name: tb.user, uid: tb.uid }, on: onServer }));
});
