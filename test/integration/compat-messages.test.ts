// Messages as helpful as OpenSSH's (issue 16 item 7): a shell start-up file that prints text breaks SFTP and is
// named as the cause; the login banner is passed on once per connection.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { FabError, listdir, run, settings } from '../../src/index.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import { hostSettings, makeUser, removeUsers, startCompatSshd, type CompatUser } from '../support/compat-hosts.ts';
import { recordEvents } from '../support/files.ts';
import { onHost, useTestbed, type Testbed } from '../support/remote.ts';
import type { ExtraSshd } from '../support/sshd.ts';

let tb: Testbed;
let sshd: ExtraSshd;
let chatty: CompatUser;
before(async () => {
  tb = useTestbed();
  chatty = makeUser(tb, 'chatty', 'bash');
  fs.writeFileSync(path.join(chatty.home, '.bashrc'), 'echo "Welcome to this machine, have a nice day"\n');
  const banner = path.join(tb.dir, 'compat-banner.txt');
  fs.writeFileSync(banner, 'Authorized use only.\nAll activity is logged.\n', { mode: 0o644 });
  // The sftp-server program runs through the login shell (and its ~/.bashrc); internal-sftp would not.
  sshd = await startCompatSshd(tb, ['Subsystem sftp /usr/lib/openssh/sftp-server', `Banner ${banner}`]);
});
after(async () => {
  await closeAll();
  sshd?.stop();
  removeUsers();
});
afterEach(() => closeAll());

const as = <T>(user: string, fn: () => Promise<T>) => onHost(`${user}@127.0.0.1:${sshd.port}`, () => settings(hostSettings(tb, user), fn));

describe('messages', () => {
  it('text printed by ~/.bashrc in the SFTP stream is named as the cause', async () => {
    const error = await as(chatty.name, () => listdir('.').then(() => undefined, (e: unknown) => e));
    assert.ok(error instanceof FabError, String(error));
    assert.match(error.message, /the remote shell prints output for non-interactive sessions/);
    assert.doesNotMatch(error.message, /Packet length/);
  });

  it('the login banner comes once per connection, as a banner event', async () => {
    const { list, stop } = recordEvents();
    try {
      await as(tb.user, async () => {
        await run('true');
        await run('true');
      });
    } finally {
      stop();
    }
    const banners = list.filter((event) => event.kind === 'banner');
    assert.equal(banners.length, 1);
    assert.deepEqual(banners[0], { kind: 'banner', host: `${tb.user}@127.0.0.1:${sshd.port}`, message: 'Authorized use only.\nAll activity is logged.\n' });
  });
});
