// Attacks on the root (or sudoUser) steps of useSudo transfers, by another local user of the host (issue 12,
// items 1, 2, 7, 9, 14): `nobody` owns a directory that root writes into and plants or swaps symlinks there; a
// root-owned 0600 file stands in for /etc/shadow; `daemon` tries to read what a put stages for a non-root sudoUser.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { FabError, append, get, lcd, put, settings, uploadTemplate } from '../../src/index.ts';
import { localScratch, modeOf, remoteScratch } from '../support/files.ts';
import { DAEMON, NOBODY, fakeShadow, fingerprint, runAs, sharedDir, startAs, writeAs } from '../support/other-user.ts';
import { closePoolAfter, loadTestbed, onHost, useTestbed } from '../support/remote.ts';

const tb = useTestbed({ sudoPassword: loadTestbed().password });
closePoolAfter();

/**
 * Runs as `nobody` for as long as it is told: every entry of `dir` whose name matches `pattern` is renamed
 * away the moment it appears and replaced by a symlink, to the fake shadow for a file, to `evil` (a directory of
 * nobody's holding links to the shadow under every name, or the shadow itself) for a directory. Prints how many it
 * swapped.
 */
const SWAPPER = `
const fs = require('fs'), path = require('path');
const [dir, pattern, shadow, evil] = process.argv.slice(1);
const wanted = new RegExp(pattern);
let stopped = false, swaps = 0;
process.stdin.on('end', () => (stopped = true));
process.stdin.resume();
const done = new Set();
function burst() {
  for (let i = 0; i < 200 && !stopped; i++) {
    let names;
    try { names = fs.readdirSync(dir); } catch { continue; }
    for (const name of names) {
      if (!wanted.test(name) || done.has(name)) continue;
      const p = path.join(dir, name);
      try {
        const st = fs.lstatSync(p);
        if (st.isSymbolicLink()) continue;
        fs.renameSync(p, path.join(dir, 'moved-' + swaps + name));
        fs.symlinkSync(st.isDirectory() ? evil : shadow, p);
        done.add(name);
        swaps++;
      } catch {}
    }
  }
  if (stopped) process.stdout.write(String(swaps));
  else setImmediate(burst);
}
burst();
`;

/** A directory `nobody` owns and writes (0755), holding nobody's app.conf, and the fake shadow. */
function nobodysDir(name: string) {
  const dir = sharedDir(name, { owner: NOBODY });
  writeAs(NOBODY, `${dir}/app.conf`, 'old config\n');
  return { dir, shadow: fakeShadow() };
}

describe('put({ useSudo }) into a directory another user writes (item 1)', () => {
  test('swapping the temp name for a symlink while root installs never reaches the shadow file', async () => {
    const { dir, shadow } = nobodysDir('swap');
    const before = fingerprint(shadow.file);
    const evil = sharedDir('evil', { owner: NOBODY });
    for (const name of ['x', 'new', 'file', 'tmp', '0', 'app.conf']) fs.symlinkSync(shadow.file, `${evil}/${name}`);
    const staging = remoteScratch(tb, 'swap-staging');
    // Big enough that copying it takes a while: the swapper sees the temp name long before root is done with it.
    const content = Buffer.alloc(8 * 1024 * 1024, 'new config\n');
    const swapper = startAs(NOBODY, SWAPPER, [dir, '^\\.app\\.conf\\.fabts-', shadow.file, evil]);
    const outcome = await onHost('direct', () => put(content, `${dir}/app.conf`, { useSudo: true, tempDir: staging })).then(
      () => 'written',
      (error: FabError) => error,
    );
    const swaps = Number(await swapper.stop());
    assert.ok(swaps > 0, 'the attacker swapped something: the attack really ran');
    assert.deepEqual(fingerprint(shadow.file), before, 'the shadow file keeps its owner, mode and content');
    assert.equal(fs.lstatSync(`${dir}/app.conf`).isSymbolicLink(), false, 'app.conf is not a link planted by the attacker');
    if (typeof outcome === 'string') {
      assert.ok(fs.readFileSync(`${dir}/app.conf`).equals(content));
      assert.equal(fs.statSync(`${dir}/app.conf`).uid, NOBODY.uid, 'the replaced file keeps its owner');
    } else {
      // Losing the race to the attacker is a clear failure, never a write elsewhere.
      assert.match(outcome.message, /^put on direct: .* (changed|was replaced) while in use/);
      assert.equal(fs.readFileSync(`${dir}/app.conf`, 'utf8'), 'old config\n');
    }
    assert.deepEqual(fs.readdirSync(staging), []);
  });

  for (const into of ['the shadow file', 'the shadow directory'] as const) {
    test(`swapping a new directory for a link to ${into} never touches it`, async () => {
      const { dir, shadow } = nobodysDir('swap-dir');
      const before = { file: fingerprint(shadow.file), dir: modeOf(shadow.dir) };
      const local = localScratch();
      fs.mkdirSync(`${local}/conf.d`, { mode: 0o750 });
      fs.chmodSync(`${local}/conf.d`, 0o750);
      fs.writeFileSync(`${local}/conf.d/a.conf`, 'a\n');
      const staging = remoteScratch(tb, 'swap-dir-staging');
      // The new directory itself (as it was made before, and once made now) and the private directory it is made in now.
      const link = into === 'the shadow file' ? shadow.file : shadow.dir;
      const swapper = startAs(NOBODY, SWAPPER, [dir, '^\\.?conf\\.d(\\.fabts-|$)', shadow.file, link]);
      const outcome = await onHost('direct', () => put(`${local}/conf.d`, dir, { useSudo: true, tempDir: staging })).then(
        () => 'written',
        (error: FabError) => error,
      );
      const swaps = Number(await swapper.stop());
      assert.ok(swaps > 0, 'the attacker swapped something: the attack really ran');
      assert.deepEqual({ file: fingerprint(shadow.file), dir: modeOf(shadow.dir) }, before, 'the shadow file and its directory keep owner, mode and content');
      assert.deepEqual(fs.readdirSync(shadow.dir), ['shadow'], 'nothing was written into the shadow directory');
      if (typeof outcome === 'string') {
        // The swap came after the file went in: it is in the directory root made, wherever nobody moved that.
        const homes = fs.readdirSync(dir).filter((name) => fs.lstatSync(`${dir}/${name}`).isDirectory() && fs.existsSync(`${dir}/${name}/a.conf`));
        assert.equal(homes.length, 1);
        assert.equal(fs.readFileSync(`${dir}/${homes[0]}/a.conf`, 'utf8'), 'a\n');
      }
      // Or before the directory was entered: a clear failure.
      else assert.match(outcome.message, /^put on direct: .*(was replaced while in use|can't cd)/);
    });
  }

  test('a symlink planted at the target beforehand is refused, unless followLinks asks for it', async () => {
    const { dir, shadow } = nobodysDir('planted');
    const before = fingerprint(shadow.file);
    fs.rmSync(`${dir}/app.conf`);
    fs.symlinkSync(shadow.file, `${dir}/app.conf`);
    fs.lchownSync(`${dir}/app.conf`, NOBODY.uid, NOBODY.gid);
    const staging = remoteScratch(tb, 'planted-staging');
    await assert.rejects(
      onHost('direct', () => put(Buffer.from('new config\n'), `${dir}/app.conf`, { useSudo: true, tempDir: staging })),
      (error: FabError) =>
        error.code === 'TRANSFER' && error.message === `put on direct: ${dir}/app.conf is a symbolic link; useSudo does not write through links (another user may have planted it): give the path it points to, or { followLinks: true }`,
    );
    assert.deepEqual(fingerprint(shadow.file), before);
    assert.deepEqual(fs.readdirSync(staging), []);
    assert.deepEqual(fs.readdirSync(dir), ['app.conf'], 'no temp file left');

    // Asked for: the file the link names is replaced, keeping its owner and mode; the link stays.
    writeAs(NOBODY, `${dir}/real.conf`, 'real\n', 0o640);
    fs.symlinkSync('real.conf', `${dir}/link.conf`);
    const result = await onHost('direct', () => put(Buffer.from('through\n'), `${dir}/link.conf`, { useSudo: true, tempDir: staging, followLinks: true }));
    assert.deepEqual(result.paths, [`${dir}/real.conf`]);
    assert.equal(fs.readFileSync(`${dir}/real.conf`, 'utf8'), 'through\n');
    assert.equal(fs.statSync(`${dir}/real.conf`).uid, NOBODY.uid);
    assert.equal(modeOf(`${dir}/real.conf`), 0o640);
    assert.equal(fs.readlinkSync(`${dir}/link.conf`), 'real.conf');
  });
});

describe('uploadTemplate({ useSudo }) backup (item 2)', () => {
  test('a symlink planted at <destination>.bak is replaced by the backup, never written through', async () => {
    const { dir, shadow } = nobodysDir('backup');
    const before = fingerprint(shadow.file);
    fs.symlinkSync(shadow.file, `${dir}/app.conf.bak`);
    fs.lchownSync(`${dir}/app.conf.bak`, NOBODY.uid, NOBODY.gid);
    const project = localScratch();
    fs.writeFileSync(`${project}/app.conf`, 'value={{ v }}\n');
    const staging = remoteScratch(tb, 'backup-staging');
    await onHost('direct', () => lcd(project, () => uploadTemplate('app.conf', `${dir}/app.conf`, { v: 2 }, { useSudo: true, tempDir: staging })));
    assert.deepEqual(fingerprint(shadow.file), before, 'the shadow file is untouched');
    assert.equal(fs.readFileSync(`${dir}/app.conf`, 'utf8'), 'value=2\n');
    assert.equal(fs.lstatSync(`${dir}/app.conf.bak`).isSymbolicLink(), false);
    assert.deepEqual(fingerprint(`${dir}/app.conf.bak`), { uid: NOBODY.uid, gid: NOBODY.gid, mode: 0o644, content: 'old config\n' }, 'the backup keeps owner and mode');

    // An existing backup is replaced by the newer one.
    await onHost('direct', () => lcd(project, () => uploadTemplate('app.conf', `${dir}/app.conf`, { v: 3 }, { useSudo: true, tempDir: staging })));
    assert.equal(fs.readFileSync(`${dir}/app.conf.bak`, 'utf8'), 'value=2\n');
    assert.equal(fs.readFileSync(`${dir}/app.conf`, 'utf8'), 'value=3\n');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['app.conf', 'app.conf.bak'], 'no temp file left');
  });
});

describe('append({ useSudo }) (the same class as items 1 and 2)', () => {
  test('a symlink planted at the file is refused; the lines are added to a copy renamed into place', async () => {
    const { dir, shadow } = nobodysDir('append');
    const before = fingerprint(shadow.file);
    fs.symlinkSync(shadow.file, `${dir}/link.conf`);
    fs.lchownSync(`${dir}/link.conf`, NOBODY.uid, NOBODY.gid);
    await assert.rejects(
      onHost('direct', () => append(`${dir}/link.conf`, 'evil::0:0::/:/bin/sh', { useSudo: true })),
      (error: FabError) => error.message === `append on direct: ${dir}/link.conf is a symbolic link; useSudo does not write through links (another user may have planted it): give the path it points to`,
    );
    assert.deepEqual(fingerprint(shadow.file), before);

    const added = await onHost('direct', () => append(`${dir}/app.conf`, ['a=1', 'b=2'], { useSudo: true }));
    assert.deepEqual(added, ['a=1', 'b=2']);
    assert.deepEqual(fingerprint(`${dir}/app.conf`), { uid: NOBODY.uid, gid: NOBODY.gid, mode: 0o644, content: 'old config\na=1\nb=2\n' });
    await onHost('direct', () => append(`${dir}/new.conf`, 'x', { useSudo: true }));
    assert.deepEqual(fingerprint(`${dir}/new.conf`), { uid: 0, gid: 0, mode: 0o644, content: 'x\n' });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['app.conf', 'link.conf', 'new.conf'], 'no temp file left');
  });
});

/** A stream that sends its first chunk, then waits for release() before the rest. */
function pausedStream(first: Buffer, rest: Buffer): { stream: Readable; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let sent = false;
  const stream = new Readable({
    read() {
      if (sent) return;
      sent = true;
      this.push(first);
      void released.then(() => {
        this.push(rest);
        this.push(null);
      });
    },
  });
  return { stream, release };
}

/** Waits until a staged file with some bytes exists under tempDir; its path. */
async function stagedFileIn(tempDir: string): Promise<string> {
  for (let tries = 0; tries < 3000; tries++) {
    for (const name of fs.readdirSync(tempDir)) {
      const file = path.join(tempDir, name, '0');
      if ((fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) > 0) return file;
    }
    await sleep(20);
  }
  throw new Error(`nothing was staged under ${tempDir}`);
}

/** As `daemon`: everything under tempDir it can list or read (a staged file's name is guessed: 0, 1, install.sh). */
const SNOOPER = `
const fs = require('fs'), path = require('path');
const [tempDir] = process.argv.slice(1);
const got = [];
for (const name of fs.readdirSync(tempDir)) {
  const dir = path.join(tempDir, name);
  try { got.push('list ' + name + ': ' + fs.readdirSync(dir).join(',')); } catch {}
  for (const file of ['0', '1', 'install.sh']) {
    try { got.push('read ' + name + '/' + file + ': ' + fs.readFileSync(path.join(dir, file), 'utf8').slice(0, 20)); } catch {}
  }
}
process.stdout.write(JSON.stringify(got));
`;

describe('useSudo with a non-root sudoUser (items 7 and 14)', () => {
  test('put stages the bytes where only the login user and the sudo user can read them', async () => {
    const tempDir = sharedDir('tmp', { mode: 0o1777 });
    const target = sharedDir('nobody-only', { owner: NOBODY, mode: 0o700 });
    // The first part is large enough to be written before the rest is sent (smaller writes wait to fill a request).
    const first = Buffer.from('SECRET=first-part\n'.repeat(64 * 1024));
    const { stream, release } = pausedStream(first, Buffer.from('SECRET2=second-part\n'));
    const putting = onHost('direct', () => settings({ sudoUser: NOBODY.name }, () => put(stream, `${target}/secret.env`, { useSudo: true, tempDir, mode: 0o600 })));
    let seen: string[];
    try {
      const staged = await stagedFileIn(tempDir);
      assert.ok(fs.readFileSync(staged, 'utf8').startsWith('SECRET=first-part\n'), 'the put is under way, its bytes staged');
      seen = JSON.parse(runAs(DAEMON, SNOOPER, [tempDir])) as string[];
    } finally {
      release();
    }
    const result = await putting;
    assert.deepEqual(seen, [], 'another local user reads nothing of the staging');
    assert.deepEqual(result.paths, [`${target}/secret.env`]);
    assert.deepEqual(fingerprint(`${target}/secret.env`), { uid: NOBODY.uid, gid: NOBODY.gid, mode: 0o600, content: `${first}SECRET2=second-part\n` });
    assert.deepEqual(fs.readdirSync(tempDir), [], 'the staging directory is gone');
  });

  test('get reads a file only the sudo user can, and leaves nothing staged, also when it fails', async () => {
    const tempDir = sharedDir('tmp', { mode: 0o1777 });
    const source = sharedDir('nobody-only', { owner: NOBODY, mode: 0o700 });
    writeAs(NOBODY, `${source}/secret.env`, 'SECRET=nobodys\n', 0o600);
    const local = localScratch();
    const result = await onHost('direct', () => settings({ sudoUser: NOBODY.name }, () => get(`${source}/secret.env`, `${local}/secret.env`, { useSudo: true, tempDir })));
    assert.deepEqual(result.paths, [`${local}/secret.env`]);
    assert.equal(fs.readFileSync(`${local}/secret.env`, 'utf8'), 'SECRET=nobodys\n');
    assert.equal(modeOf(`${local}/secret.env`), 0o600);
    assert.deepEqual(fs.readdirSync(tempDir), [], 'the staging directory is gone');

    // A whole tree keeps its modes too (the ACL that lets the login user in changes the staged copies' group bits).
    fs.mkdirSync(`${source}/sub`, { mode: 0o750 });
    fs.chmodSync(`${source}/sub`, 0o750);
    fs.chownSync(`${source}/sub`, NOBODY.uid, NOBODY.gid);
    writeAs(NOBODY, `${source}/sub/run.sh`, '#!/bin/sh\n', 0o700);
    await onHost('direct', () => settings({ sudoUser: NOBODY.name }, () => get(source, `${local}/tree`, { useSudo: true, tempDir })));
    assert.deepEqual([modeOf(`${local}/tree`), modeOf(`${local}/tree/secret.env`), modeOf(`${local}/tree/sub`), modeOf(`${local}/tree/sub/run.sh`)], [0o700, 0o600, 0o750, 0o700]);
    assert.deepEqual(fs.readdirSync(tempDir), []);

    await assert.rejects(
      onHost('direct', () => settings({ sudoUser: NOBODY.name }, () => get(`${source}/missing.env`, `${local}/missing.env`, { useSudo: true, tempDir }))),
      (error: FabError) => error.code === 'TRANSFER' && /^get on direct: .*missing\.env: no such file or directory/.test(error.message),
    );
    assert.deepEqual(fs.readdirSync(tempDir), [], 'nothing staged is left after a failure either');
  });
});

describe('get({ useSudo }) globs (item 9)', () => {
  test('.* never matches . or ..: nothing above the directory is copied, nothing lands outside the target', async () => {
    const base = remoteScratch(tb, 'dots');
    const dir = `${base}/root-only`;
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(`${dir}/.hidden`, 'hidden\n', { mode: 0o600 });
    fs.writeFileSync(`${base}/outside.txt`, 'outside\n', { mode: 0o600 });
    const staging = remoteScratch(tb, 'dots-staging');
    const scratch = localScratch();
    const local = `${scratch}/got`;
    const result = await onHost('direct', () => get(`${dir}/.*`, `${local}/`, { useSudo: true, tempDir: staging }));
    assert.deepEqual(result.paths, [`${local}/.hidden`]);
    assert.deepEqual(fs.readdirSync(scratch), ['got'], 'nothing written beside the target');
    assert.deepEqual(fs.readdirSync(local), ['.hidden']);
    const dry = await onHost('direct', () => settings({ dryRun: true }, () => get(`${dir}/.*`, `${local}/`, { useSudo: true, tempDir: staging })));
    assert.deepEqual(dry.files.map((file) => file.remote), [`${dir}/.hidden`]);
    assert.deepEqual(fs.readdirSync(staging), []);
  });
});
