// A hostile SFTP server (ssh2's server side, test/support/hostile-sftp-server.ts) against get() and listdir()
// (issue 12, items 6 and 13): names in READDIR answers that climb out of the target, a {host} that climbs out
// through the local path template, a server that never answers INIT or a request, and a listing of 1,000,000 entries.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FabError, exists, get, lcd, listdir } from '../../src/index.ts';
import { closePoolAfter, onHost, useTestbed } from '../support/remote.ts';
import { localScratch } from '../support/files.ts';
import { startHostileServer } from '../support/hostile-sftp.ts';

useTestbed({ hostKeyPolicy: 'off', password: 'any' });
closePoolAfter();

/** Every file below dir (relative paths). */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** A scratch tree with the download target two levels down, so `../..` from it still lands inside the scratch. */
function target(): { root: string; local: string } {
  const root = localScratch('fabts-hostile-');
  const local = path.join(root, 'a', 'b', 'target');
  fs.mkdirSync(local, { recursive: true });
  return { root, local };
}

function refusedName(error: unknown, name: string): boolean {
  assert.ok(error instanceof FabError, String(error));
  assert.ok(error.message.includes(JSON.stringify(name)), error.message);
  assert.match(error.message, /not a file name|refus/);
  assert.doesNotMatch(error.message, /\n/);
  return true;
}

describe('get: a hostile server names files outside the target', () => {
  test('a READDIR name with ../ is refused and nothing lands outside the target', async () => {
    const server = await startHostileServer('names', JSON.stringify(['../../escaped', 'ok']));
    const { root, local } = target();
    await assert.rejects(onHost(server.host, () => get('/srv/d', `${local}/`)), (error) => refusedName(error, '../../escaped'));
    assert.deepEqual(filesUnder(root), [], 'no file was written anywhere');
  });

  test('a READDIR name with / inside is refused, also when it comes through a glob', async () => {
    const server = await startHostileServer('names', JSON.stringify(['ok', 'x/../../../../escaped2']));
    const { root, local } = target();
    await assert.rejects(onHost(server.host, () => get('/srv/d/*', `${local}/`)), (error) => refusedName(error, 'x/../../../../escaped2'));
    await assert.rejects(onHost(server.host, () => listdir('/srv/d')), (error) => refusedName(error, 'x/../../../../escaped2'));
    assert.deepEqual(filesUnder(root), []);
  });

  test('. and .. in a listing are skipped, the rest comes down', async () => {
    const server = await startHostileServer('names', JSON.stringify(['.', '..', 'ok']));
    const { root, local } = target();
    const result = await onHost(server.host, () => get('/srv/d', `${local}/`));
    assert.deepEqual(result.paths, [path.join(local, 'd', 'ok')]);
    assert.deepEqual(filesUnder(root), [path.join('a', 'b', 'target', 'd', 'ok')]);
  });

  test('a {host} holding /.. cannot climb out of the local path template', async () => {
    const server = await startHostileServer('names', JSON.stringify(['ok']));
    const { root, local } = target();
    const config = path.join(root, 'ssh_config');
    fs.writeFileSync(config, `Host evil/../../..\n  HostName 127.0.0.1\n  Port ${server.port}\n  User x\n`);
    useTestbed({ hostKeyPolicy: 'off', password: 'any', sshConfigPath: config });
    try {
      // The default template, {host}/{path}, under lcd(local).
      await assert.rejects(
        onHost('evil/../../..', () => lcd(local, () => get('/srv/d/ok'))),
        (error) => {
          assert.ok(error instanceof FabError, String(error));
          assert.match(error.message, /\{host\}|outside/);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
      await assert.rejects(onHost('evil/../../..', () => get('/srv/d/ok', `${local}/{host}-{basename}`)), FabError);
    } finally {
      useTestbed({ hostKeyPolicy: 'off', password: 'any' });
    }
    assert.deepEqual(filesUnder(root).filter((file) => file !== 'ssh_config'), []);
  });
});

/** Fails the test instead of hanging it when the operation never settles (what the bugs below did). */
function orHang<T>(promise: Promise<T>, seconds = 30): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${seconds}s: the operation hangs`)), seconds * 1000);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

describe('SFTP deadlines and listing limits', () => {
  test('a server that never answers INIT: get fails after env.sftpTimeout instead of hanging', async () => {
    const server = await startHostileServer('mute-init');
    const { local } = target();
    useTestbed({ hostKeyPolicy: 'off', password: 'any', sftpTimeout: 2 });
    await assert.rejects(orHang(onHost(server.host, () => get('/srv/d/ok', `${local}/`))), (error) => {
      assert.ok(error instanceof FabError, String(error));
      assert.match(error.message, /SFTP session \(env\.sftpTimeout\) within 2s/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  });

  test('a server that answers INIT and then nothing: every request fails after env.sftpTimeout', async () => {
    const server = await startHostileServer('mute-after-init');
    useTestbed({ hostKeyPolicy: 'off', password: 'any', sftpTimeout: 2 });
    const ops: (() => Promise<unknown>)[] = [() => listdir('/srv'), () => get('/srv/x', localScratch())];
    for (const op of ops) {
      await assert.rejects(orHang(onHost(server.host, op)), (error) => {
        assert.ok(error instanceof FabError, String(error));
        assert.match(error.message, /did not answer within 2s \(env\.sftpTimeout\)/);
        return true;
      });
    }
  });

  test('a server without SFTP whose commands never answer: file operations over exec fail after env.sftpTimeout', async () => {
    const server = await startHostileServer('no-sftp-mute-exec');
    useTestbed({ hostKeyPolicy: 'off', password: 'any', sftpTimeout: 2 });
    const ops: (() => Promise<unknown>)[] = [() => listdir('/srv'), () => exists('/srv/x'), () => get('/srv/x', localScratch())];
    for (const op of ops) {
      await assert.rejects(orHang(onHost(server.host, op)), (error) => {
        assert.ok(error instanceof FabError, String(error));
        assert.match(error.message, /did not answer within 2s \(env\.sftpTimeout\)/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    }
  });

  describe('a directory of 1,000,000 entries', () => {
    const COUNT = 1_000_000;
    /** Runs fn and samples the heap meanwhile: the growth of the peak over the start, in MiB. */
    async function peakHeapGrowth(fn: () => Promise<unknown>): Promise<{ mib: number; error: unknown }> {
      const start = process.memoryUsage().heapUsed;
      let peak = start;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
      let error: unknown;
      try {
        await fn();
      } catch (caught) {
        error = caught;
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      return { mib: (peak - start) / 2 ** 20, error };
    }

    test('listdir and get stop at env.maxListing with a clear error, and memory stays bounded', async () => {
      const server = await startHostileServer('huge', String(COUNT));
      useTestbed({ hostKeyPolicy: 'off', password: 'any' });
      const { root, local } = target();
      const listed = await peakHeapGrowth(() => orHang(onHost(server.host, () => listdir('/srv/huge')), 120));
      const fetched = await peakHeapGrowth(() => orHang(onHost(server.host, () => get('/srv/huge', `${local}/`)), 120));
      for (const { error } of [listed, fetched]) {
        assert.ok(error instanceof FabError, String(error));
        assert.match(error.message, /\/srv\/huge: lists more than 100000 entries; raise env\.maxListing/);
      }
      assert.deepEqual(filesUnder(root), [], 'nothing was downloaded');
      // Before: listdir held all 1,000,000 entries (~470 MiB); get planned them all (over 1 GiB).
      console.log(`# heap growth at the default maxListing (100000): listdir ${listed.mib.toFixed(0)} MiB, get ${fetched.mib.toFixed(0)} MiB`);
      assert.ok(listed.mib < 128 && fetched.mib < 128, `heap grew ${listed.mib.toFixed(0)} / ${fetched.mib.toFixed(0)} MiB`);
    });

    test('with env.maxListing raised, all 1,000,000 names are listed', async () => {
      const server = await startHostileServer('huge', String(COUNT));
      useTestbed({ hostKeyPolicy: 'off', password: 'any', maxListing: 2_000_000 });
      let names: string[] = [];
      const listed = await peakHeapGrowth(async () => (names = await orHang(onHost(server.host, () => listdir('/srv/huge')), 300)));
      assert.equal(listed.error, undefined);
      assert.equal(names.length, COUNT);
      assert.equal(names[COUNT - 1], `file-${String(COUNT - 1).padStart(8, '0')}`);
      console.log(`# heap growth listing all ${COUNT} entries: ${listed.mib.toFixed(0)} MiB`);
    });
  });
});
