// The remote file system over SFTP, on the real test hosts (direct, and web1 through the bastion).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { cd, exists, FabError, isDir, isLink, listdir, mkdir, readFile, remove, rename, settings, stat, writeFile } from '../../src/index.ts';
import { closePoolAfter, loadTestbed, onHost, useTestbed } from '../support/remote.ts';
import { asRoot, modeOf, recordEvents, remoteScratch, tempFilesIn, writeAsUser } from '../support/files.ts';

const tb = useTestbed({ sudoPassword: loadTestbed().password });
closePoolAfter();

for (const host of ['direct', 'web1'] as const) {
  describe(`remote file system on ${host}`, () => {
    test('listdir gives the names, sorted, without . and ..; stat describes files, directories and links', async () => {
      const dir = remoteScratch(tb, 'list');
      writeAsUser(tb, `${dir}/b.txt`, 'bbb', 0o640);
      fs.mkdirSync(`${dir}/a-dir`);
      fs.symlinkSync('b.txt', `${dir}/c-link`);
      const [names, file, folder, link, followed] = await onHost(host, async () => [
        await listdir(dir),
        await stat(`${dir}/b.txt`),
        await stat(`${dir}/a-dir`),
        await stat(`${dir}/c-link`, { followLinks: false }),
        await stat(`${dir}/c-link`),
      ] as const);
      assert.deepEqual(names, ['a-dir', 'b.txt', 'c-link']);
      assert.equal(file.type, 'file');
      assert.equal(file.size, 3);
      assert.equal(file.mode, 0o640);
      assert.equal(file.uid, tb.uid);
      assert.ok(file.isFile() && !file.isDirectory());
      assert.ok(Math.abs(file.mtime.getTime() - fs.statSync(`${dir}/b.txt`).mtimeMs) < 2000);
      assert.equal(folder.type, 'directory');
      assert.equal(link.type, 'symlink');
      assert.ok(link.isSymbolicLink());
      assert.equal(followed.type, 'file');
    });

    test('exists, isDir and isLink answer; a dangling link does not exist but is a link', async () => {
      const dir = remoteScratch(tb, 'tests');
      writeAsUser(tb, `${dir}/file`, 'x');
      fs.symlinkSync('nowhere', `${dir}/dangling`);
      const answers = await onHost(host, async () => [
        await exists(`${dir}/file`),
        await exists(`${dir}/missing`),
        await exists(`${dir}/dangling`),
        await isDir(dir),
        await isDir(`${dir}/file`),
        await isLink(`${dir}/dangling`),
        await isLink(`${dir}/file`),
      ]);
      assert.deepEqual(answers, [true, false, false, true, false, true, false]);
    });

    test('mkdir makes a directory with the mode asked; parents makes the whole path and accepts one that exists', async () => {
      const dir = remoteScratch(tb, 'mkdir');
      await onHost(host, async () => {
        await mkdir(`${dir}/one`, { mode: 0o750 });
        await mkdir(`${dir}/a/b/c`, { parents: true, mode: '700' });
        await mkdir(`${dir}/a/b/c`, { parents: true });
      });
      assert.equal(modeOf(`${dir}/one`), 0o750);
      assert.equal(modeOf(`${dir}/a/b/c`), 0o700);
      await assert.rejects(
        onHost(host, () => mkdir(`${dir}/one`)),
        (error: FabError) => error.code === 'REMOTE_FS' && new RegExp(`^mkdir on ${host}: ${dir}/one: `).test(error.message),
      );
      await assert.rejects(onHost(host, () => mkdir(`${dir}/x/y`)), /no such file or directory; check the path/);
    });

    test('remove takes files and links; a full directory only with recursive', async () => {
      const dir = remoteScratch(tb, 'remove');
      writeAsUser(tb, `${dir}/file`, 'x');
      fs.symlinkSync(dir, `${dir}/link-to-dir`);
      fs.mkdirSync(`${dir}/tree/deep`, { recursive: true });
      writeAsUser(tb, `${dir}/tree/deep/leaf`, 'x');
      fs.chownSync(`${dir}/tree`, tb.uid, tb.uid);
      fs.chownSync(`${dir}/tree/deep`, tb.uid, tb.uid);
      await onHost(host, async () => {
        await remove(`${dir}/file`);
        await remove(`${dir}/link-to-dir`);
      });
      assert.deepEqual(fs.readdirSync(dir), ['tree'], 'the link went, not what it points to');
      await assert.rejects(onHost(host, () => remove(`${dir}/tree`)), /is a directory and not empty; pass \{ recursive: true \}/);
      await onHost(host, () => remove(`${dir}/tree`, { recursive: true }));
      assert.deepEqual(fs.readdirSync(dir), []);
      await assert.rejects(onHost(host, () => remove(`${dir}/tree`)), (error: FabError) => /^remove on .*: no such file or directory; check the path$/.test(error.message));
    });

    test('rename moves, replacing an existing file; readFile and writeFile round-trip atomically', async () => {
      const dir = remoteScratch(tb, 'rename');
      writeAsUser(tb, `${dir}/old`, 'old content');
      writeAsUser(tb, `${dir}/replaced`, 'will be replaced', 0o600);
      const [text, bytes, written] = await onHost(host, async () => {
        await rename(`${dir}/old`, `${dir}/replaced`);
        const written = await writeFile(`${dir}/note.txt`, 'ünïcode\nline 2\n', { mode: 0o640 });
        return [await readFile(`${dir}/note.txt`, 'utf8'), await readFile(`${dir}/replaced`), written] as const;
      });
      assert.equal(text, 'ünïcode\nline 2\n');
      assert.ok(Buffer.isBuffer(bytes));
      assert.equal(bytes.toString(), 'old content');
      assert.equal(modeOf(`${dir}/note.txt`), 0o640);
      assert.deepEqual(written.paths, [`${dir}/note.txt`]);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['note.txt', 'replaced']);
      assert.deepEqual(tempFilesIn(dir), []);
    });
  });
}

test('relative paths follow cd(); ~ is the login home', async () => {
  const dir = remoteScratch(tb, 'relative');
  writeAsUser(tb, `${dir}/here.txt`, 'here');
  const [names, text, home] = await onHost('web1', async () =>
    cd(dir, async () => [await listdir(), await readFile('here.txt', 'utf8'), (await stat('~')).path] as const),
  );
  assert.deepEqual(names, ['here.txt']);
  assert.equal(text, 'here');
  assert.equal(home, tb.home);
});

test('exists, isDir and isLink with useSudo see into directories the login user cannot', async () => {
  const dir = remoteScratch(tb, 'sudo-tests');
  asRoot(`mkdir -m 700 '${dir}/root-only' && touch '${dir}/root-only/file' && ln -s file '${dir}/root-only/link'`);
  await assert.rejects(
    onHost('direct', () => exists(`${dir}/root-only/file`)),
    (error: FabError) => error.message === `exists on direct: ${dir}/root-only/file: permission denied; use { useSudo: true }`,
    'not knowing is not "no": the login user gets an error that says how to ask',
  );
  const answers = await onHost('direct', async () => [
    await exists(`${dir}/root-only/file`, { useSudo: true }),
    await exists(`${dir}/root-only/missing`, { useSudo: true }),
    await isDir(`${dir}/root-only`, { useSudo: true }),
    await isLink(`${dir}/root-only/link`, { useSudo: true }),
  ]);
  assert.deepEqual(answers, [true, false, true, true]);
});

test('readFile of an unreadable file says permission denied and names the host', async () => {
  const dir = remoteScratch(tb, 'denied');
  asRoot(`echo secret > '${dir}/root.txt' && chmod 600 '${dir}/root.txt'`);
  await assert.rejects(
    onHost('web1', () => readFile(`${dir}/root.txt`)),
    (error: FabError) => error.code === 'REMOTE_FS' && error.host === 'web1' && error.message === `readFile on web1: ${dir}/root.txt: permission denied; use sudo()`,
  );
});

test('under --dry-run the writes report themselves and do nothing; the queries run for real', async () => {
  const dir = remoteScratch(tb, 'dry');
  writeAsUser(tb, `${dir}/file`, 'content');
  const { list, stop } = recordEvents();
  const [names, text, there] = await onHost('direct', () =>
    settings({ dryRun: true }, async () => {
      await mkdir(`${dir}/new`, { parents: true });
      await remove(`${dir}/file`);
      await rename(`${dir}/file`, `${dir}/moved`);
      const written = await writeFile(`${dir}/written`, 'x');
      assert.equal(written.dryRun, true);
      return [await listdir(dir), await readFile(`${dir}/file`, 'utf8'), await exists(`${dir}/file`)] as const;
    }),
  ).finally(stop);
  assert.deepEqual(names, ['file']);
  assert.equal(text, 'content');
  assert.equal(there, true);
  assert.deepEqual(fs.readdirSync(dir), ['file'], 'nothing changed');
  const commands = list.flatMap((event) => (event.kind === 'command' ? [[event.runner, event.command, event.dryRun]] : []));
  assert.deepEqual(commands, [
    ['sftp', `mkdir -p ${dir}/new`, true],
    ['sftp', `rm ${dir}/file`, true],
    ['sftp', `mv ${dir}/file ${dir}/moved`, true],
    ['put', `<buffer> -> ${dir}/written`, true],
  ]);
});
