// Dropbear (Debian's dropbear-bin; issue 16 items 5 and 6): bursts of commands at once on one connection, the
// Dropbear log staying free of protocol assertions, and transfers where Dropbear has no sftp-server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { get, put, run, settings } from '../../src/index.ts';
import { events } from '../../src/report/events.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import { hostSettings, makeUser, removeUsers, startDropbear, type CompatUser } from '../support/compat-hosts.ts';
import { localScratch } from '../support/files.ts';
import { noSftpCases } from '../support/no-sftp-cases.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { onHost, useTestbed, type Testbed } from '../support/remote.ts';
import type { ExtraSshd } from '../support/sshd.ts';

let tb: Testbed;
let user: CompatUser;
const servers: ExtraSshd[] = [];
before(() => {
  tb = useTestbed();
  user = makeUser(tb, 'dropbear', 'bash');
});
after(() => {
  for (const server of servers) server.stop();
  removeUsers();
});
afterEach(() => closeAll());

const on = <T>(port: number, fn: () => Promise<T>) => onHost(`${user.name}@127.0.0.1:${port}`, () => settings(hostSettings(tb, user.name), fn));

describe('Dropbear', () => {
  it('runs bursts of 12 commands at once, then single ones, with nothing in its log about our channels', async () => {
    const dropbear = await startDropbear(tb);
    servers.push(dropbear);
    const log = () => fs.readFileSync(dropbear.logPath, 'utf8').split('\n').slice(-12).join('\n');
    const outputs = await on(dropbear.port, async () => {
      const seen: string[] = [];
      for (let round = 0; round < 5; round++) {
        const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => run(`echo ${round}-${i}; head -c 20000 /dev/zero | tr '\\0' x >/dev/null`)));
        seen.push(...burst.map(String));
        seen.push(String(await run('echo single')));
      }
      return seen;
    }).catch((error: Error) => Promise.reject(new Error(`${error.message}\nDropbear's log:\n${log()}`)));
    assert.equal(outputs.length, 65);
    assert.equal(outputs.filter((line) => line === 'single').length, 5);
    assert.doesNotMatch(fs.readFileSync(dropbear.logPath, 'utf8'), /Failed assertion|Bad channel/);
  });

  // Dropbear before 2024.86 (Debian 12 has 2022.83) closes a session channel whose exec has not arrived yet when
  // any command of the connection exits meanwhile (its check_close sees "no process": upstream issue #321, fixed
  // by 71521d1b). The exec that then arrives runs on the closed channel and its first output trips
  // `Failed assertion (common-channel.c:705): '!channel->sent_close'`: Dropbear exits, the connection is lost.
  // 40 ms between our open and our exec reaching it (a far-away server) makes that window wide.
  it('a far-away Dropbear: commands exiting while others open their channels never lose the connection', async () => {
    const dropbear = await startDropbear(tb);
    servers.push(dropbear);
    const retries: string[] = [];
    const stop = events.subscribe((event) => event.kind === 'debug' && /closed a new channel/.test(event.message) && retries.push(event.message));
    const proxy = await new TcpProxy(await TcpProxy.freePort(), { host: '127.0.0.1', port: dropbear.port }, { latencyMs: 40 }).listen();
    try {
      const outputs = await on(proxy.port, async () => {
        // Six workers, each running commands one after the other: some always exit while others wait for their exec.
        const worker = async (w: number) => {
          const seen: string[] = [];
          for (let i = 0; i < 8; i++) seen.push(String(await run(`echo ${w}-${i}`)));
          return seen;
        };
        return (await Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)))).flat();
      }).catch((error: Error) => Promise.reject(new Error(`${error.message}\nDropbear's log:\n${fs.readFileSync(dropbear.logPath, 'utf8').slice(-2000)}`)));
      assert.equal(outputs.length, 48);
      assert.deepEqual(retries, [], 'no channel was closed by the server before its exec');
      assert.doesNotMatch(fs.readFileSync(dropbear.logPath, 'utf8'), /Failed assertion|Bad channel/);
    } finally {
      stop();
      await proxy.close();
    }
  });

  it('without sftp-server, put and get go through exec channels', async () => {
    const dropbear = await startDropbear(tb, { sftp: false });
    servers.push(dropbear);
    const local = localScratch();
    const target = path.join(user.home, 'up.txt');
    const back = await on(dropbear.port, async () => {
      await put(Buffer.from('through cat\n'), target);
      await get(target, path.join(local, 'down.txt'));
      return fs.readFileSync(path.join(local, 'down.txt'), 'utf8');
    });
    assert.equal(back, 'through cat\n');
    assert.equal(fs.readFileSync(target, 'utf8'), 'through cat\n');
  });
});

describe('Dropbear without sftp-server: the rest over exec channels', () => {
  let port = 0;
  before(async () => {
    const dropbear = await startDropbear(tb, { sftp: false });
    servers.push(dropbear);
    port = dropbear.port;
  });
  noSftpCases(() => ({ tb, user: { name: user.name, uid: user.uid }, on: (fn) => on(port, fn) }));
});
