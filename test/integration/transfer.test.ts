// put() and get() against the real test hosts: `direct`, and `web1` reached only through the bastion.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { cd, lcd, put, get, mkdir, FabError, TransferResult, settings } from '../../src/index.ts';
import { closePoolAfter, countBastionConnections, loadTestbed, onHost, useTestbed } from '../support/remote.ts';
import { localScratch, modeOf, randomContent, recordEvents, remoteScratch, tempFilesIn, writeAsUser } from '../support/files.ts';

// sudo on the test hosts always asks: the login password is also the sudo password.
const tb = useTestbed({ sudoPassword: loadTestbed().password });
closePoolAfter();

for (const host of ['direct', 'web1'] as const) {
  describe(`put and get on ${host}${host === 'web1' ? ' (through the bastion)' : ''}`, () => {
    test('put uploads a file byte for byte, as a new 0644 file, and says what it wrote', async () => {
      const local = localScratch();
      const data = randomContent(3 * 1024 * 1024 + 17);
      fs.writeFileSync(path.join(local, 'blob.bin'), data);
      const remote = remoteScratch(tb, 'put');
      const result = await onHost(host, () => put(path.join(local, 'blob.bin'), `${remote}/blob.bin`));
      assert.ok(result instanceof TransferResult);
      assert.deepEqual(result.paths, [`${remote}/blob.bin`]);
      assert.equal(result.bytes, data.length);
      assert.equal(result.host, host);
      assert.ok(fs.readFileSync(`${remote}/blob.bin`).equals(data));
      assert.equal(modeOf(`${remote}/blob.bin`), 0o644);
      assert.equal(fs.statSync(`${remote}/blob.bin`).uid, tb.uid);
      assert.deepEqual(tempFilesIn(remote), []);
    });

    test('get downloads a file byte for byte to {host}/{path} under lcd(), making the directories', async () => {
      const remote = remoteScratch(tb, 'get');
      const data = randomContent(2 * 1024 * 1024 + 5);
      writeAsUser(tb, `${remote}/data.bin`, data, 0o640);
      const local = localScratch();
      const result = await onHost(host, () => lcd(local, () => get(`${remote}/data.bin`)));
      const expected = path.join(local, host, remote, 'data.bin');
      assert.deepEqual(result.paths, [expected]);
      assert.ok(fs.readFileSync(expected).equals(data));
      assert.equal(modeOf(expected), 0o640, 'the remote permission bits come along');
      assert.deepEqual(tempFilesIn(path.dirname(expected)), []);
    });

    test('put of a directory copies the tree with its permission bits; get brings it back the same', async () => {
      const local = localScratch();
      const tree = path.join(local, 'site');
      fs.mkdirSync(path.join(tree, 'bin'), { recursive: true });
      fs.mkdirSync(path.join(tree, 'private'), { mode: 0o700 });
      fs.chmodSync(path.join(tree, 'private'), 0o700);
      fs.writeFileSync(path.join(tree, 'index.html'), '<h1>hi</h1>\n');
      fs.writeFileSync(path.join(tree, 'bin', 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
      fs.chmodSync(path.join(tree, 'bin', 'run.sh'), 0o755);
      fs.writeFileSync(path.join(tree, 'private', 'key'), 'secret', { mode: 0o600 });
      fs.chmodSync(path.join(tree, 'private', 'key'), 0o600);
      const remote = remoteScratch(tb, 'tree');

      const up = await onHost(host, () => put(tree, remote));
      assert.equal(up.files.length, 3);
      assert.equal(fs.readFileSync(`${remote}/site/index.html`, 'utf8'), '<h1>hi</h1>\n', 'an existing remote directory receives the tree under its name');
      assert.equal(modeOf(`${remote}/site/bin/run.sh`), 0o755);
      assert.equal(modeOf(`${remote}/site/private`), 0o700);
      assert.equal(modeOf(`${remote}/site/private/key`), 0o600);

      const down = localScratch();
      await onHost(host, () => get(`${remote}/site`, `${down}/copy`));
      assert.equal(fs.readFileSync(`${down}/copy/bin/run.sh`, 'utf8'), '#!/bin/sh\necho run\n');
      assert.equal(modeOf(`${down}/copy/bin/run.sh`), 0o755);
      assert.equal(modeOf(`${down}/copy/private`), 0o700);
      assert.equal(fs.readFileSync(`${down}/copy/private/key`, 'utf8'), 'secret');
    });
  });
}

test('through the bastion, transfers share the one gateway connection', async () => {
  const before = countBastionConnections(tb);
  const remote = remoteScratch(tb, 'gw');
  await onHost('web1', async () => {
    await put(Buffer.from('a'), `${remote}/a`);
    await put(Buffer.from('b'), `${remote}/b`);
    await get(`${remote}/a`, `${localScratch()}/a`);
  });
  await onHost('web2', () => put(Buffer.from('c'), `${remote}/c`));
  assert.ok(countBastionConnections(tb) - before <= 1, 'at most one new bastion connection for web1 and web2');
  assert.equal(fs.readFileSync(`${remote}/c`, 'utf8'), 'c');
});

describe('put: targets, modes and sources', () => {
  test('an existing remote directory gets the basename; a trailing slash makes the directory', async () => {
    const local = localScratch();
    fs.writeFileSync(`${local}/app.conf`, 'x=1\n');
    const remote = remoteScratch(tb, 'targets');
    await onHost('direct', async () => {
      await put(`${local}/app.conf`, remote);
      await put(`${local}/app.conf`, `${remote}/new/deeper/`);
    });
    assert.equal(fs.readFileSync(`${remote}/app.conf`, 'utf8'), 'x=1\n');
    assert.equal(fs.readFileSync(`${remote}/new/deeper/app.conf`, 'utf8'), 'x=1\n');
  });

  test('replacing a file keeps its permission bits unless mode or mirrorLocalMode says otherwise', async () => {
    const local = localScratch();
    fs.writeFileSync(`${local}/tool`, 'new\n', { mode: 0o750 });
    fs.chmodSync(`${local}/tool`, 0o750);
    const remote = remoteScratch(tb, 'modes');
    writeAsUser(tb, `${remote}/kept`, 'old\n', 0o600);
    writeAsUser(tb, `${remote}/octal`, 'old\n', 0o600);
    const results = await onHost('direct', async () => [
      await put(`${local}/tool`, `${remote}/kept`),
      await put(`${local}/tool`, `${remote}/octal`, { mode: '640' }),
      await put(`${local}/tool`, `${remote}/numeric`, { mode: 0o711 }),
      await put(`${local}/tool`, `${remote}/mirrored`, { mirrorLocalMode: true }),
    ]);
    assert.equal(modeOf(`${remote}/kept`), 0o600);
    assert.equal(fs.readFileSync(`${remote}/kept`, 'utf8'), 'new\n');
    assert.equal(modeOf(`${remote}/octal`), 0o640);
    assert.equal(modeOf(`${remote}/numeric`), 0o711);
    assert.equal(modeOf(`${remote}/mirrored`), 0o750);
    assert.deepEqual(results.map((result) => result.files[0]!.mode), [0o600, 0o640, 0o711, 0o750]);
  });

  test('writing through a symlink replaces the file it names and leaves the link', async () => {
    const remote = remoteScratch(tb, 'symlink');
    writeAsUser(tb, `${remote}/real.conf`, 'old', 0o640);
    fs.symlinkSync('real.conf', `${remote}/link.conf`);
    const result = await onHost('direct', () => put(Buffer.from('new'), `${remote}/link.conf`));
    assert.deepEqual(result.paths, [`${remote}/real.conf`]);
    assert.equal(fs.lstatSync(`${remote}/link.conf`).isSymbolicLink(), true);
    assert.equal(fs.readFileSync(`${remote}/real.conf`, 'utf8'), 'new');
    assert.equal(modeOf(`${remote}/real.conf`), 0o640);
  });

  test('replacing a file someone else owns warns that its owner could not be kept', async () => {
    const remote = remoteScratch(tb, 'owner');
    fs.writeFileSync(`${remote}/shared.conf`, 'old');
    fs.chownSync(`${remote}/shared.conf`, 0, tb.uid);
    fs.chmodSync(`${remote}/shared.conf`, 0o664);
    const { list, stop } = recordEvents();
    await onHost('direct', () => put(Buffer.from('new'), `${remote}/shared.conf`)).finally(stop);
    assert.equal(fs.readFileSync(`${remote}/shared.conf`, 'utf8'), 'new');
    const warnings = list.filter((event) => event.kind === 'warning').map((event) => event.kind === 'warning' && event.message);
    assert.deepEqual(warnings, [`put: ${remote}/shared.conf now belongs to the login user; its old owner could not be kept (use { useSudo: true } to keep it)`]);
  });

  test('empty files go both ways', async () => {
    const remote = remoteScratch(tb, 'empty');
    const local = localScratch();
    await onHost('web1', async () => {
      await put(Buffer.alloc(0), `${remote}/empty`);
      await get(`${remote}/empty`, `${local}/empty`);
    });
    assert.equal(fs.statSync(`${remote}/empty`).size, 0);
    assert.equal(fs.statSync(`${local}/empty`).size, 0);
  });

  test('a bad mode is a clear error before anything moves', async () => {
    await assert.rejects(
      onHost('direct', () => put(Buffer.from('x'), `${tb.remoteDir}/never`, { mode: 'rwx' })),
      (error: FabError) => error.code === 'BAD_ARGUMENT' && /put on direct: mode "rwx" is not a permission mode/.test(error.message),
    );
    assert.equal(fs.existsSync(`${tb.remoteDir}/never`), false);
  });

  test('a Buffer and a readable stream upload as files', async () => {
    const remote = remoteScratch(tb, 'memory');
    const streamed = randomContent(700 * 1024);
    await onHost('web1', async () => {
      await put(Buffer.from('from a buffer\n'), `${remote}/buffer.txt`);
      await put(Readable.from([streamed.subarray(0, 1000), streamed.subarray(1000)]), `${remote}/stream.bin`);
    });
    assert.equal(fs.readFileSync(`${remote}/buffer.txt`, 'utf8'), 'from a buffer\n');
    assert.ok(fs.readFileSync(`${remote}/stream.bin`).equals(streamed));
  });

  test('a local glob uploads every match into a remote directory, which several matches require', async () => {
    const local = localScratch();
    for (const name of ['a.log', 'b.log', 'c.txt']) fs.writeFileSync(`${local}/${name}`, name);
    const remote = remoteScratch(tb, 'glob');
    const result = await onHost('direct', () => put(`${local}/*.log`, `${remote}/logs`));
    assert.deepEqual(result.paths.sort(), [`${remote}/logs/a.log`, `${remote}/logs/b.log`]);
    assert.deepEqual(fs.readdirSync(`${remote}/logs`).sort(), ['a.log', 'b.log']);
    writeAsUser(tb, `${remote}/file`, 'x');
    await assert.rejects(
      onHost('direct', () => put(`${local}/*.log`, `${remote}/file`)),
      (error: FabError) => error.code === 'TRANSFER' && /2 local files match .*must be a directory/.test(error.message),
    );
    await assert.rejects(
      onHost('direct', () => put(`${local}/*.nothing`, remote)),
      (error: FabError) => /put on direct: no local file matches/.test(error.message),
    );
  });

  test('~ is the login user\'s home on the host; relative remote paths follow cd(), local ones lcd()', async () => {
    const local = localScratch();
    fs.writeFileSync(`${local}/rel.txt`, 'relative\n');
    const remote = remoteScratch(tb, 'relative');
    const name = `fabts-home-test-${process.pid}-${Date.now()}.txt`;
    try {
      const results = await onHost('web1', () =>
        lcd(local, async () => {
          const home = await put('rel.txt', `~/${name}`);
          const nested = await cd(remote, () =>
            cd('sub', async () => {
              await mkdir('.', { parents: true });
              return put('rel.txt', 'here.txt');
            }),
          );
          return [home, nested];
        }),
      );
      assert.deepEqual(results[1]!.paths, [`${remote}/sub/here.txt`]);
      assert.deepEqual(results[0]!.paths, [path.join(tb.home, name)]);
      assert.equal(fs.readFileSync(path.join(tb.home, name), 'utf8'), 'relative\n');
      assert.equal(fs.readFileSync(`${remote}/sub/here.txt`, 'utf8'), 'relative\n');
    } finally {
      fs.rmSync(path.join(tb.home, name), { force: true });
    }
  });

  test('permission denied names the host and path and says what to do', async () => {
    await assert.rejects(
      onHost('direct', () => put(Buffer.from('x'), '/etc/fabts-denied.txt')),
      (error: FabError) =>
        error instanceof FabError && error.code === 'TRANSFER' && error.host === 'direct' && /^put on direct: .*\/etc\/.*permission denied; use \{ useSudo: true \} or a writable path$/.test(error.message),
    );
  });

  test('a missing remote directory is named as such, with the target path (not the temp name)', async () => {
    await assert.rejects(
      onHost('web1', () => put(Buffer.from('x'), `${tb.remoteDir}/no/such/dir/file.txt`)),
      (error: FabError) => error.message === `put on web1: ${tb.remoteDir}/no/such/dir/file.txt: its directory does not exist; make it first: mkdir(dir, { parents: true })`,
    );
  });

  test('a missing local file is a one-line error naming it', async () => {
    await assert.rejects(
      onHost('direct', () => put('/nonexistent/fabts.txt', tb.remoteDir)),
      (error: FabError) => /^put on direct: local \/nonexistent\/fabts\.txt: no such file or directory; check the path/.test(error.message),
    );
  });
});

describe('get: tokens, directories, globs and several hosts', () => {
  test('several hosts getting the same path never overwrite each other', async () => {
    const remote = remoteScratch(tb, 'hosts');
    writeAsUser(tb, `${remote}/same.txt`, 'shared file system, separate copies\n');
    const local = localScratch();
    for (const host of ['direct', 'web1', 'web2']) await onHost(host, () => lcd(local, () => get(`${remote}/same.txt`)));
    for (const host of ['direct', 'web1', 'web2']) assert.ok(fs.existsSync(path.join(local, host, remote, 'same.txt')), host);
  });

  test('{basename} and {dirname} tokens, and a plain local directory receiving the file under its name', async () => {
    const remote = remoteScratch(tb, 'tokens');
    writeAsUser(tb, `${remote}/app.log`, 'log\n');
    const local = localScratch();
    fs.mkdirSync(`${local}/existing`);
    const results = await onHost('web1', async () => [
      await get(`${remote}/app.log`, `${local}/{host}-{basename}`),
      await get(`${remote}/app.log`, `${local}/by-dir/{dirname}/x`),
      await get(`${remote}/app.log`, `${local}/existing`),
      await get(`${remote}/app.log`, `${local}/renamed.log`),
    ]);
    assert.deepEqual(
      results.map((result) => result.paths[0]),
      [`${local}/web1-app.log`, path.join(local, 'by-dir', remote, 'x'), `${local}/existing/app.log`, `${local}/renamed.log`],
    );
  });

  test('a remote glob downloads every match; a template must keep them apart', async () => {
    const remote = remoteScratch(tb, 'rglob');
    for (const name of ['one.log', 'two.log', 'skip.txt']) writeAsUser(tb, `${remote}/${name}`, name);
    for (const sub of ['sub', 'sub2']) {
      fs.mkdirSync(`${remote}/${sub}`);
      writeAsUser(tb, `${remote}/${sub}/one.log`, 'nested');
    }
    const local = localScratch();
    const result = await onHost('direct', () => get(`${remote}/*.log`, `${local}/logs/`));
    assert.deepEqual(result.paths.sort(), [`${local}/logs/one.log`, `${local}/logs/two.log`]);
    await assert.rejects(
      onHost('direct', () => get(`${remote}/*/one.log`, `${local}/x/{basename}`)),
      (error: FabError) => error.code === 'TRANSFER' && /would both be written to .*; put \{path\} or \{dirname\} in the local path/.test(error.message),
    );
  });

  test('a local path that cannot be a directory is named in the error', async () => {
    const remote = remoteScratch(tb, 'local-bad');
    writeAsUser(tb, `${remote}/f`, 'x');
    const local = localScratch();
    fs.writeFileSync(`${local}/plain-file`, '');
    await assert.rejects(
      onHost('direct', () => get(`${remote}/f`, `${local}/plain-file/sub/f`)),
      (error: FabError) => error.code === 'TRANSFER' && error.message.startsWith(`get on direct: local ${local}/plain-file`),
    );
  });

  test('a missing remote file fails clearly and leaves the local file as it was', async () => {
    const local = localScratch();
    fs.writeFileSync(`${local}/keep.txt`, 'precious\n');
    await assert.rejects(
      onHost('web1', () => get(`${tb.remoteDir}/no-such-file`, `${local}/keep.txt`)),
      (error: FabError) => error.code === 'TRANSFER' && /^get on web1: .*no-such-file: no such file or directory; check the path$/.test(error.message),
    );
    assert.equal(fs.readFileSync(`${local}/keep.txt`, 'utf8'), 'precious\n');
    assert.deepEqual(tempFilesIn(local), []);
  });
});

describe('progress events', () => {
  test('a transfer reports its start, throttled progress and its end, not every chunk', async () => {
    const local = localScratch();
    const data = randomContent(48 * 1024 * 1024);
    fs.writeFileSync(`${local}/big.bin`, data);
    const remote = remoteScratch(tb, 'progress');
    const { list, stop } = recordEvents();
    try {
      await onHost('direct', async () => {
        await put(`${local}/big.bin`, `${remote}/big.bin`);
        await get(`${remote}/big.bin`, `${local}/back.bin`);
      });
    } finally {
      stop();
    }
    for (const direction of ['put', 'get'] as const) {
      const transfers = list.filter((event) => event.kind === 'transfer' && event.direction === direction) as Extract<(typeof list)[number], { kind: 'transfer' }>[];
      assert.equal(transfers[0]!.bytes, 0);
      assert.equal(transfers[0]!.total, data.length);
      assert.equal(transfers.at(-1)!.done, true);
      assert.equal(transfers.at(-1)!.bytes, data.length);
      const chunks = data.length / (255 * 1024);
      assert.ok(transfers.length < chunks / 4, `${transfers.length} events for ${Math.round(chunks)} chunks`);
      const bytes = transfers.map((event) => event.bytes);
      assert.deepEqual(bytes, [...bytes].sort((a, b) => a - b), 'bytes only grow');
    }
    assert.ok(fs.readFileSync(`${local}/back.bin`).equals(data));
  });
});

describe('--dry-run', () => {
  test('put and get do not act: they report what they would do and return a dry-run result', async () => {
    const local = localScratch();
    fs.writeFileSync(`${local}/f.txt`, 'f');
    const remote = remoteScratch(tb, 'dry');
    writeAsUser(tb, `${remote}/there.txt`, 'there');
    const { list, stop } = recordEvents();
    const [up, down] = await onHost('direct', () =>
      settings({ dryRun: true }, async () => [await put(`${local}/f.txt`, remote), await get(`${remote}/there.txt`, `${local}/got.txt`)]),
    ).finally(stop);
    assert.equal(up!.dryRun, true);
    assert.equal(down!.dryRun, true);
    assert.deepEqual(up!.paths, [`${remote}/f.txt`]);
    assert.deepEqual(down!.paths, [`${local}/got.txt`]);
    assert.deepEqual(fs.readdirSync(remote), ['there.txt']);
    assert.equal(fs.existsSync(`${local}/got.txt`), false);
    const commands = list.filter((event) => event.kind === 'command');
    assert.deepEqual(
      commands.map((event) => event.kind === 'command' && [event.runner, event.command, event.dryRun]),
      [
        ['put', `${local}/f.txt -> ${remote}/f.txt`, true],
        ['get', `${remote}/there.txt -> ${local}/got.txt`, true],
      ],
    );
    assert.equal(list.filter((event) => event.kind === 'transfer').length, 0);
  });

  test('a get of a path an earlier dry-run put only pretended to make reports instead of failing', async () => {
    const { list, stop } = recordEvents();
    const result = await onHost('web1', () => settings({ dryRun: true }, () => get(`${tb.remoteDir}/made-by-a-dry-put`, 'x'))).finally(stop);
    assert.equal(result.dryRun, true);
    assert.deepEqual(result.files, []);
    const commands = list.flatMap((event) => (event.kind === 'command' ? [event.command] : []));
    assert.deepEqual(commands, [`${tb.remoteDir}/made-by-a-dry-put -> x (not there now)`]);
  });
});

describe('useSudo', () => {
  /** A root-owned 0700 directory holding a root-owned 0600 file, inside the test bed's remote dir. */
  function rootOwned(name: string): { dir: string; file: string; staging: string } {
    const base = remoteScratch(tb, name);
    const dir = `${base}/root-only`;
    const staging = `${base}/staging`;
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(`${dir}/secret.conf`, 'old secret\n', { mode: 0o600 });
    fs.chmodSync(dir, 0o700);
    fs.mkdirSync(staging);
    fs.chownSync(staging, tb.uid, tb.uid);
    return { dir, file: `${dir}/secret.conf`, staging };
  }

  for (const host of ['direct', 'web1'] as const) {
    test(`put replaces a root-owned 0600 file, keeping owner and mode, staging nothing behind (${host})`, async () => {
      const { dir, file, staging } = rootOwned(`sudo-put-${host}`);
      const result = await onHost(host, () => put(Buffer.from('new secret\n'), file, { useSudo: true, tempDir: staging }));
      assert.equal(fs.readFileSync(file, 'utf8'), 'new secret\n');
      const stats = fs.statSync(file);
      assert.equal(stats.uid, 0);
      assert.equal(stats.mode & 0o7777, 0o600);
      assert.deepEqual(result.paths, [file]);
      assert.equal(result.files[0]!.mode, 0o600);
      assert.deepEqual(fs.readdirSync(staging), [], 'the staging directory is gone');
      assert.deepEqual(tempFilesIn(dir), []);
    });

    test(`get reads a root-owned 0600 file that the login user cannot (${host})`, async () => {
      const { file, staging } = rootOwned(`sudo-get-${host}`);
      const local = localScratch();
      await assert.rejects(
        onHost(host, () => get(file, `${local}/plain`)),
        (error: FabError) => error.code === 'TRANSFER' && new RegExp(`^get on ${host}: .*permission denied; use \\{ useSudo: true \\}$`).test(error.message),
      );
      const result = await onHost(host, () => get(file, `${local}/secret.conf`, { useSudo: true, tempDir: staging }));
      assert.deepEqual(result.paths, [`${local}/secret.conf`]);
      assert.equal(fs.readFileSync(`${local}/secret.conf`, 'utf8'), 'old secret\n');
      assert.equal(modeOf(`${local}/secret.conf`), 0o600);
      assert.deepEqual(fs.readdirSync(staging), [], 'the staging directory is gone');
    });
  }

  test('put with sudo makes new files 0644 root-owned (or the mode asked), directories too', async () => {
    const { dir, staging } = rootOwned('sudo-new');
    const local = localScratch();
    fs.mkdirSync(`${local}/conf.d`);
    fs.writeFileSync(`${local}/conf.d/a.conf`, 'a\n');
    await onHost('direct', async () => {
      await put(Buffer.from('fresh\n'), `${dir}/fresh.conf`, { useSudo: true, tempDir: staging });
      await put(Buffer.from('exec\n'), `${dir}/tool`, { useSudo: true, tempDir: staging, mode: 0o750 });
      await put(`${local}/conf.d`, dir, { useSudo: true, tempDir: staging });
    });
    assert.equal(fs.statSync(`${dir}/fresh.conf`).uid, 0);
    assert.equal(modeOf(`${dir}/fresh.conf`), 0o644);
    assert.equal(modeOf(`${dir}/tool`), 0o750);
    assert.equal(fs.readFileSync(`${dir}/conf.d/a.conf`, 'utf8'), 'a\n');
    assert.equal(fs.statSync(`${dir}/conf.d`).uid, 0);
  });

  test('a failing sudo put leaves the old file and no temp or staging file', async () => {
    const { dir, file, staging } = rootOwned('sudo-fail');
    await assert.rejects(
      onHost('direct', () => put(Buffer.from('x'), `${dir}/missing-dir/x.conf`, { useSudo: true, tempDir: staging })),
      (error: FabError) => error.code === 'TRANSFER' && /^put on direct: sudo failed: /.test(error.message),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), 'old secret\n');
    assert.deepEqual(fs.readdirSync(staging), []);
    assert.deepEqual(tempFilesIn(dir), []);
  });

  test('a wrong sudo password fails clearly, without the password in the message', async () => {
    const { file, staging } = rootOwned('sudo-wrong');
    await assert.rejects(
      onHost('direct', () => settings({ sudoPassword: 'not-the-password' }, () => put(Buffer.from('x'), file, { useSudo: true, tempDir: staging }))),
      (error: FabError) => error.code === 'SUDO_PASSWORD' && !error.message.includes('not-the-password'),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), 'old secret\n');
    assert.deepEqual(fs.readdirSync(staging), []);
  });

  test('get with sudo takes a root-only directory and a glob', async () => {
    const { dir, staging } = rootOwned('sudo-tree');
    fs.mkdirSync(`${dir}/nested`, { mode: 0o700 });
    fs.writeFileSync(`${dir}/nested/deep.txt`, 'deep\n', { mode: 0o600 });
    fs.writeFileSync(`${dir}/other.conf`, 'other\n', { mode: 0o600 });
    const local = localScratch();
    await onHost('web1', async () => {
      await get(dir, `${local}/tree`, { useSudo: true, tempDir: staging });
      await get(`${dir}/*.conf`, `${local}/confs/`, { useSudo: true, tempDir: staging });
    });
    assert.equal(fs.readFileSync(`${local}/tree/nested/deep.txt`, 'utf8'), 'deep\n');
    assert.deepEqual(fs.readdirSync(`${local}/confs`).sort(), ['other.conf', 'secret.conf']);
    assert.deepEqual(fs.readdirSync(staging), []);
  });
});
