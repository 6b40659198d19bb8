// The same cases for every server without an SFTP subsystem (an OpenSSH sshd with no `Subsystem sftp` line,
// Dropbear without sftp-server; issue 16 item 6): get of trees and globs, useSudo transfers, the remote file system
// helpers and contrib files, all over exec channels, with the SFTP path's rules (names as data, maxListing, private
// staging removed afterwards, links at useSudo targets refused).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { append, contains, exists, FabError, get, isDir, isLink, listdir, mkdir, put, readFile, remove, rename, settings, stat, writeFile } from '../../src/index.ts';
import type { Testbed } from '../hosts/testbed.ts';
import { asRoot, localScratch, modeOf, recordEvents } from './files.ts';
import { NOBODY, sharedDir } from './other-user.ts';

export interface NoSftpServer {
  tb: Testbed;
  /** The login user: name and uid. */
  user: { name: string; uid: number };
  /** Runs fn on the server as that user. */
  on: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** A name no shell word survives unquoted: quotes, `$()`, a newline, a leading dash, non-ASCII. */
const ODD_NAME = `-it's $(touch PWNED) "a"\nb ü.txt`;

/** A fresh directory of the login user's, outside the test bed's remote dir (which only its own user may enter). */
function scratch(server: NoSftpServer, name: string): string {
  return sharedDir(name, { owner: { name: server.user.name, uid: server.user.uid, gid: server.user.uid } });
}

function writeOwned(server: NoSftpServer, file: string, content: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
  for (let dir = path.dirname(file); path.dirname(dir) !== os.tmpdir(); dir = path.dirname(dir)) fs.chownSync(dir, server.user.uid, server.user.uid);
  fs.chownSync(file, server.user.uid, server.user.uid);
}

/** Registers the cases (inside the caller's describe). */
export function noSftpCases(server: () => NoSftpServer): void {
  it('get brings a directory tree (odd names, dot files, modes) and the matches of a glob', async () => {
    const s = server();
    const dir = scratch(s, 'tree');
    writeOwned(s, `${dir}/src/a.log`, 'A\n', 0o640);
    writeOwned(s, `${dir}/src/b.log`, 'B\n');
    writeOwned(s, `${dir}/src/.hidden.log`, 'H\n');
    writeOwned(s, `${dir}/src/sub/${ODD_NAME}`, 'odd\n', 0o600);
    fs.mkdirSync(`${dir}/src/empty`);
    fs.chownSync(`${dir}/src/empty`, s.user.uid, s.user.uid);
    const local = localScratch();
    const results = await s.on(async () => {
      const tree = await get(`${dir}/src`, path.join(local, 'tree'));
      const logs = await get(`${dir}/src/*.log`, path.join(local, 'logs/'));
      return { tree: tree.files.length, logs: logs.files.map((file) => path.basename(file.remote)).sort() };
    });
    assert.deepEqual(results, { tree: 4, logs: ['a.log', 'b.log'] });
    assert.equal(fs.readFileSync(path.join(local, 'tree', 'sub', ODD_NAME), 'utf8'), 'odd\n');
    assert.equal(modeOf(path.join(local, 'tree', 'sub', ODD_NAME)), 0o600);
    assert.equal(modeOf(path.join(local, 'tree', 'a.log')), 0o640);
    assert.equal(fs.readFileSync(path.join(local, 'tree', '.hidden.log'), 'utf8'), 'H\n');
    assert.ok(fs.statSync(path.join(local, 'tree', 'empty')).isDirectory());
    assert.deepEqual(fs.readdirSync(path.join(local, 'logs')).sort(), ['a.log', 'b.log']);
    assert.equal(fs.existsSync(path.join(dir, 'src', 'sub', 'PWNED')), false);
  });

  it('listdir, stat, exists, isDir, isLink, mkdir, rename, readFile, writeFile and remove work through commands', async () => {
    const s = server();
    const dir = scratch(s, 'fs');
    writeOwned(s, `${dir}/${ODD_NAME}`, 'odd', 0o640);
    writeOwned(s, `${dir}/.dot`, '');
    fs.symlinkSync('nowhere', `${dir}/dangling`);
    fs.lchownSync(`${dir}/dangling`, s.user.uid, s.user.uid);
    const seen = await s.on(async () => {
      const names = await listdir(dir);
      const file = await stat(`${dir}/${ODD_NAME}`);
      const link = await stat(`${dir}/dangling`, { followLinks: false });
      const tests = [await exists(`${dir}/dangling`), await isLink(`${dir}/dangling`), await isDir(dir), await exists(`${dir}/nope`)];
      await mkdir(`${dir}/a/b/c`, { parents: true, mode: 0o750 });
      await writeFile(`${dir}/a/b/c/new.txt`, 'written\n');
      await rename(`${dir}/a/b/c/new.txt`, `${dir}/a/moved.txt`);
      const text = await readFile(`${dir}/a/moved.txt`, 'utf8');
      const notEmpty = await remove(`${dir}/a`).then(() => 'removed', (error: Error) => error.message);
      await remove(`${dir}/a`, { recursive: true });
      const missing = await stat(`${dir}/nope`).then(() => 'found', (error: Error) => error.message);
      return { names, file: [file.type, file.size, file.mode, file.uid], link: link.type, tests, text, notEmpty, missing };
    });
    assert.deepEqual(seen.names, [ODD_NAME, '.dot', 'dangling'].sort());
    assert.deepEqual(seen.file, ['file', 3, 0o640, s.user.uid]);
    assert.equal(seen.link, 'symlink');
    assert.deepEqual(seen.tests, [false, true, true, false]);
    assert.equal(seen.text, 'written\n');
    assert.match(seen.notEmpty, /is a directory and not empty; pass \{ recursive: true \}/);
    assert.match(seen.missing, /^stat on .*: no such file or directory; check the path$/);
    assert.equal(fs.existsSync(`${dir}/a`), false);
  });

  it('a listing stops at env.maxListing, for listdir and get', async () => {
    const s = server();
    const dir = scratch(s, 'many');
    for (let i = 0; i < 25; i++) writeOwned(s, `${dir}/f${i}`, '');
    const local = localScratch();
    const errors = await s.on(() =>
      settings({ maxListing: 20 }, async () => [
        await listdir(dir).then(() => 'listed', (error: Error) => error.message),
        await get(dir, path.join(local, 'many')).then(() => 'got', (error: Error) => error.message),
      ]),
    );
    for (const message of errors) assert.match(message, /lists more than 20 entries; raise env.maxListing/);
  });

  it('put and get with useSudo: a root-owned file replaced keeping owner and mode, a root-only file read, staging removed, a link at the target refused', async () => {
    const s = server();
    const dir = scratch(s, 'sudo');
    const tempDir = path.join(dir, 'tmp');
    fs.mkdirSync(tempDir, { mode: 0o755 });
    fs.chownSync(tempDir, s.user.uid, s.user.uid);
    asRoot(`mkdir -m 755 ${dir}/etc && printf 'old\\n' > ${dir}/etc/app.conf && chmod 600 ${dir}/etc/app.conf && printf 'secret\\n' > ${dir}/etc/secret && chmod 600 ${dir}/etc/secret && ln -s secret ${dir}/etc/link.conf`);
    const local = localScratch();
    const outcome = await s.on(async () => {
      await put(Buffer.from('new\n'), `${dir}/etc/app.conf`, { useSudo: true, tempDir });
      await get(`${dir}/etc/secret`, path.join(local, 'secret'), { useSudo: true, tempDir });
      const linked = await put(Buffer.from('x\n'), `${dir}/etc/link.conf`, { useSudo: true, tempDir }).then(() => 'written', (error: Error) => error.message);
      return { linked };
    });
    assert.equal(fs.readFileSync(`${dir}/etc/app.conf`, 'utf8'), 'new\n');
    assert.equal(fs.statSync(`${dir}/etc/app.conf`).uid, 0);
    assert.equal(modeOf(`${dir}/etc/app.conf`), 0o600);
    assert.equal(fs.readFileSync(path.join(local, 'secret'), 'utf8'), 'secret\n');
    assert.match(outcome.linked, /link\.conf is a symbolic link; useSudo does not write through links/);
    assert.equal(fs.readFileSync(`${dir}/etc/secret`, 'utf8'), 'secret\n');
    assert.deepEqual(fs.readdirSync(tempDir), []);
  });

  it('useSudo as a non-root sudoUser (nobody): staged where only the two users can read, removed afterwards', async () => {
    const s = server();
    const tempDir = sharedDir('tmp', { mode: 0o1777 });
    const own = sharedDir('nobody-only', { owner: NOBODY, mode: 0o700 });
    asRoot(`printf 'mine\\n' > ${own}/only && chmod 600 ${own}/only && chown nobody ${own}/only`);
    const local = localScratch();
    await s.on(() =>
      settings({ sudoUser: NOBODY.name }, async () => {
        await put(Buffer.from('from put\n'), `${own}/put.txt`, { useSudo: true, tempDir, mode: 0o600 });
        await get(`${own}/only`, path.join(local, 'only'), { useSudo: true, tempDir });
      }),
    );
    assert.equal(fs.readFileSync(`${own}/put.txt`, 'utf8'), 'from put\n');
    assert.equal(fs.statSync(`${own}/put.txt`).uid, NOBODY.uid);
    assert.equal(modeOf(`${own}/put.txt`), 0o600);
    assert.equal(fs.readFileSync(path.join(local, 'only'), 'utf8'), 'mine\n');
    assert.deepEqual(fs.readdirSync(tempDir), []);
  });

  it('contrib files: append and contains, and the debug line says why commands stand in for SFTP', async () => {
    const s = server();
    const dir = scratch(s, 'contrib');
    writeOwned(s, `${dir}/app.conf`, 'a=1\n');
    const events = recordEvents();
    try {
      const found = await s.on(async () => {
        const added = await append(`${dir}/app.conf`, ['b=2', 'a=1']);
        return { added, has: await contains(`${dir}/app.conf`, 'b=2'), hasNot: await contains(`${dir}/app.conf`, 'c=3') };
      });
      assert.deepEqual(found, { added: ['b=2'], has: true, hasNot: false });
      assert.equal(fs.readFileSync(`${dir}/app.conf`, 'utf8'), 'a=1\nb=2\n');
      assert.ok(events.list.some((event) => event.kind === 'debug' && /the server has no SFTP subsystem; using commands on exec channels/.test(event.message)));
    } finally {
      events.stop();
    }
  });

  it('errors stay one line', async () => {
    const s = server();
    const error = await s.on(() => get('/nonexistent-fabts/x', localScratch()).then(() => undefined, (e: unknown) => e));
    assert.ok(error instanceof FabError);
    assert.match(error.message, /^get on .*: \/nonexistent-fabts\/x: no such file or directory; check the path$/);
  });
}
