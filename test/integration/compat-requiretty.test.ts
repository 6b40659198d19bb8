// sudo with `Defaults requiretty` (older RHEL/CentOS; issue 16 item 4): without a pty sudo refuses, and fab says
// to set pty: true; with it, every sudo step works (put/get with useSudo too) and the output has no stray \r.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FabError, get, put, run, settings, sudo } from '../../src/index.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import { hostSettings, makeUser, removeUsers, startCompatSshd, type CompatUser } from '../support/compat-hosts.ts';
import { localScratch } from '../support/files.ts';
import { onHost, useTestbed, type Testbed } from '../support/remote.ts';
import type { ExtraSshd } from '../support/sshd.ts';

let tb: Testbed;
let sshd: ExtraSshd;
let user: CompatUser;
before(async () => {
  tb = useTestbed();
  user = makeUser(tb, 'tty', 'bash', ['Defaults:%u requiretty']);
  sshd = await startCompatSshd(tb);
});
after(async () => {
  await closeAll();
  sshd?.stop();
  removeUsers();
});

const as = <T>(extra: Record<string, unknown>, fn: () => Promise<T>) =>
  onHost(`${user.name}@127.0.0.1:${sshd.port}`, () => settings({ ...hostSettings(tb, user.name), ...extra }, fn));
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('sudo with requiretty', () => {
  it('without a pty: one line saying to set pty: true', async () => {
    const error = await as({}, () => failure(sudo('whoami')));
    assert.ok(error instanceof FabError, String(error));
    assert.match(error.message, /set pty: true \(the host's sudoers has requiretty\)/);
    assert.doesNotMatch(error.message, /\n/);
  });

  it('with pty: true, the output is what the command printed, without \\r', async () => {
    const result = await as({}, () => sudo('whoami; echo two', { pty: true }));
    assert.equal(result.stdout, 'root\ntwo\n');
    const plain = await as({}, () => run('printf "a\\nb\\n"', { pty: true }));
    assert.equal(plain.stdout, 'a\nb\n');
  });

  it('put and get with useSudo work under env.pty', async () => {
    const dir = fs.mkdtempSync('/tmp/fabts-tty-');
    const local = localScratch();
    try {
      const back = await as({ pty: true }, async () => {
        await put(Buffer.from('as root\n'), `${dir}/root.txt`, { useSudo: true });
        await get(`${dir}/root.txt`, path.join(local, 'back.txt'), { useSudo: true });
        return fs.readFileSync(path.join(local, 'back.txt'), 'utf8');
      });
      assert.equal(back, 'as root\n');
      assert.equal(fs.statSync(`${dir}/root.txt`).uid, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('put with useSudo and no pty says to set pty: true', async () => {
    const error = await as({}, () => failure(put(Buffer.from('x'), '/tmp/fabts-never.txt', { useSudo: true })));
    assert.ok(error instanceof FabError, String(error));
    assert.match(error.message, /set pty: true/);
  });
});
