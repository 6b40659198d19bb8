// A server that allows one session channel at a time (`MaxSessions 1`, common on hardened hosts; issue 16 item 1):
// commands one after another, transfers between them, a command waiting for the only slot, all on one connection.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { FabError, exists, get, listdir, put, run, settings, sudo } from '../../src/index.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import { hostSettings, startCompatSshd } from '../support/compat-hosts.ts';
import { localScratch, remoteScratch } from '../support/files.ts';
import { onHost, useTestbed, type Testbed } from '../support/remote.ts';
import type { ExtraSshd } from '../support/sshd.ts';

let tb: Testbed;
let sshd: ExtraSshd;
let host: string;
before(async () => {
  tb = useTestbed();
  sshd = await startCompatSshd(tb, ['MaxSessions 1']);
  host = `127.0.0.1:${sshd.port}`;
});
after(() => sshd?.stop());
afterEach(() => closeAll());

const onServer = <T>(fn: () => Promise<T>) => onHost(host, () => settings(hostSettings(tb), fn));

describe('MaxSessions 1', () => {
  it('runs 40 commands one after another on one connection, none refused', async () => {
    const outputs = await onServer(async () => {
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) seen.push(String(await run(`echo ${i}`)));
      return seen;
    });
    assert.deepEqual(outputs, Array.from({ length: 40 }, (_, i) => String(i)));
  });

  it('runs 12 commands started at once, queued behind the one slot', async () => {
    const outputs = await onServer(() => Promise.all(Array.from({ length: 12 }, (_, i) => run(`echo ${i}`))));
    assert.deepEqual(outputs.map(String), Array.from({ length: 12 }, (_, i) => String(i)));
  });

  it('runs commands after put, get and listdir (the SFTP session gives the slot back)', async () => {
    const dir = remoteScratch(tb, 'maxsessions');
    const local = localScratch();
    fs.writeFileSync(path.join(local, 'a.txt'), 'hello\n');
    const result = await onServer(async () => {
      await put(path.join(local, 'a.txt'), `${dir}/a.txt`);
      const first = String(await run(`cat ${dir}/a.txt`, { timeout: 20 }));
      const names = await listdir(dir);
      const second = String(await run('echo after-listdir', { timeout: 20 }));
      await get(`${dir}/a.txt`, path.join(local, 'back.txt'));
      const third = String(await run('echo after-get', { timeout: 20 }));
      return { first, names, second, third, there: await exists(`${dir}/a.txt`) };
    });
    assert.deepEqual(result, { first: 'hello', names: ['a.txt'], second: 'after-listdir', third: 'after-get', there: true });
    assert.equal(fs.readFileSync(path.join(local, 'back.txt'), 'utf8'), 'hello\n');
  });

  it('put with useSudo works (its sudo step needs the slot the upload used)', async () => {
    const dir = remoteScratch(tb, 'maxsessions-sudo');
    const result = await onServer(async () => {
      await put(Buffer.from('as root\n'), `${dir}/root.txt`, { useSudo: true });
      return String(await sudo(`stat -c %U ${dir}/root.txt`));
    });
    assert.equal(result, 'root');
  });

  it('a command waiting for the only slot fails at its timeout', async () => {
    const error = await onServer(async () => {
      const holder = run('sleep 8', { warnOnly: true });
      await new Promise((resolve) => setTimeout(resolve, 300));
      try {
        await run('echo never', { timeout: 1 });
        return undefined;
      } catch (error) {
        return error;
      } finally {
        await holder.catch(() => undefined);
      }
    });
    assert.ok(error instanceof FabError, String(error));
    assert.equal(error.code, 'TIMEOUT');
    assert.match(error.message, /timed out after 1s/);
  });
});
