// Nothing lost: a real `fab` moving a large file is interrupted (SIGINT, then SIGKILL) in the middle of the
// transfer. The file it was replacing must be intact byte for byte, after SIGINT no temp file may be left, and
// the sshd processes serving fab's connection (the SFTP server) must be gone.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fab, makeProject } from '../support/fab.ts';
import { localScratch, randomContent, remoteScratch, tempFilesIn, writeAsUser } from '../support/files.ts';
import { isAlive } from '../hosts/procs.ts';
import { loadTestbed } from '../support/remote.ts';
import { sshdServing, type SshdConnection } from '../support/sshd-sessions.ts';

const tb = loadTestbed();
const BIG = 300 * 1024 * 1024;

const FABFILE = `
import { put, get } from 'fabts';
export async function up() { await put(process.env.SRC!, process.env.DEST!); }
export async function down() { await get(process.env.SRC!, process.env.DEST!); }
`;

/** A large file, fast to make: one random MiB repeated. */
function writeBig(file: string): void {
  const block = randomContent(1024 * 1024);
  const fd = fs.openSync(file, 'w');
  for (let written = 0; written < BIG; written += block.length) fs.writeSync(fd, block);
  fs.closeSync(fd);
}

/** Resolves once a fabts temp file in dir holds at least `bytes` (the transfer is under way). */
async function tempFileGrows(dir: string, bytes: number, deadlineMs = 60_000): Promise<string> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    for (const name of tempFilesIn(dir)) {
      const size = fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.size ?? 0;
      if (size >= bytes) return name;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no temp file in ${dir} reached ${bytes} bytes`);
}

async function interrupt(task: 'up' | 'down', watchDir: string, env: Record<string, string>, signal: NodeJS.Signals) {
  const project = makeProject({ 'fabfile.ts': FABFILE });
  let child: ChildProcess | undefined;
  const running = fab([task, '-F', tb.sshConfigPath, '-H', 'direct'], { cwd: project, env, timeoutMs: 120_000, onSpawn: (spawned) => (child = spawned) });
  let seen: string | undefined;
  let sshd: SshdConnection | undefined;
  try {
    seen = await tempFileGrows(watchDir, 16 * 1024 * 1024);
    sshd = sshdServing(tb, 'direct', child!.pid!);
  } finally {
    child?.kill(signal);
  }
  const run = await running;
  // The sshd serving fab's connection (where the SFTP server runs) ends with it: nothing is left on the host.
  for (let tries = 0; sshd && [sshd.monitor, sshd.session].some((pid) => isAlive(pid)) && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(sshd && ![sshd.monitor, sshd.session].some((pid) => isAlive(pid)), 'the sshd processes of the connection are gone');
  return { run, seen };
}

describe('an interrupted transfer loses nothing', () => {
  let big: string;
  let oldContent: Buffer;

  before(() => {
    big = path.join(localScratch('fabts-big-'), 'big.bin');
    writeBig(big);
    oldContent = randomContent(1024 * 1024 + 3);
  });
  after(() => fs.rmSync(path.dirname(big), { recursive: true, force: true }));

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    test(`put killed with ${signal}: the old remote file is intact${signal === 'SIGINT' ? ' and no temp file is left' : ''}`, async () => {
      const remote = remoteScratch(tb, `interrupt-put-${signal}`);
      writeAsUser(tb, `${remote}/target.bin`, oldContent);
      const { run, seen } = await interrupt('up', remote, { SRC: big, DEST: `${remote}/target.bin` }, signal);
      assert.ok(seen, 'the transfer was under way when the signal came');
      assert.ok(fs.readFileSync(`${remote}/target.bin`).equals(oldContent), 'the old file is byte for byte as it was');
      if (signal === 'SIGINT') {
        assert.equal(run.code, 130, run.stderr);
        assert.deepEqual(tempFilesIn(remote), [], 'the remote temp file was removed before fab exited');
      } else {
        assert.equal(run.signal, 'SIGKILL');
      }
    });

    test(`get killed with ${signal}: the old local file is intact${signal === 'SIGINT' ? ' and no partial file is left' : ''}`, async () => {
      const remote = remoteScratch(tb, `interrupt-get-${signal}`);
      fs.copyFileSync(big, `${remote}/big.bin`);
      fs.chownSync(`${remote}/big.bin`, tb.uid, tb.uid);
      const local = localScratch();
      fs.writeFileSync(`${local}/target.bin`, oldContent);
      const { run, seen } = await interrupt('down', local, { SRC: `${remote}/big.bin`, DEST: `${local}/target.bin` }, signal);
      assert.ok(seen);
      assert.ok(fs.readFileSync(`${local}/target.bin`).equals(oldContent), 'the old file is byte for byte as it was');
      if (signal === 'SIGINT') {
        assert.equal(run.code, 130, run.stderr);
        assert.deepEqual(tempFilesIn(local), [], 'the partial download was removed');
      } else {
        assert.equal(run.signal, 'SIGKILL');
      }
      fs.rmSync(`${remote}/big.bin`, { force: true });
      fs.rmSync(local, { recursive: true, force: true });
    });
  }

  test('a put that completes replaces the file and prints its line', async () => {
    const remote = remoteScratch(tb, 'complete');
    writeAsUser(tb, `${remote}/target.bin`, oldContent);
    const project = makeProject({ 'fabfile.ts': FABFILE });
    const small = path.join(project, 'small.bin');
    const data = randomContent(5 * 1024 * 1024);
    fs.writeFileSync(small, data);
    const run = await fab(['up', '-F', tb.sshConfigPath, '-H', 'direct'], { cwd: project, env: { SRC: small, DEST: `${remote}/target.bin` } });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(fs.readFileSync(`${remote}/target.bin`).equals(data));
    assert.match(run.stdout, new RegExp(`^\\[direct\\] put: ${small.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} -> ${remote}/target\\.bin$`, 'm'));
  });
});
