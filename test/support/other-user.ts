// Another local user of the test host, for attacks on useSudo transfers: `nobody` as the writer of a directory
// that root writes into, `daemon` as a bystander who must not read what is staged. The test hosts share this
// machine, so "another user on the host" is a process here with that uid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

export const NOBODY = { name: 'nobody', uid: 65534, gid: 65534 };
export const DAEMON = { name: 'daemon', uid: 1, gid: 1 };
export type LocalUser = typeof NOBODY;

const made: string[] = [];
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh directory outside the test bed's private remote dir (which other users cannot enter), removed after
 * the file: mode 0755 and root's unless an owner is given; `sticky` makes it like /tmp (1777).
 */
export function sharedDir(name: string, options: { owner?: LocalUser; mode?: number } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fabts-${name}-`));
  made.push(dir);
  fs.chmodSync(dir, options.mode ?? 0o755);
  if (options.owner) fs.chownSync(dir, options.owner.uid, options.owner.gid);
  return dir;
}

/** Node code run as that user; resolves its stdout (throws on a non-zero exit). */
export function runAs(user: LocalUser, code: string, args: string[] = []): string {
  const result = spawnSync(process.execPath, ['-e', code, ...args], { uid: user.uid, gid: user.gid, encoding: 'utf8', cwd: '/' });
  if (result.status !== 0) throw new Error(`as ${user.name}: ${result.stderr}`);
  return result.stdout;
}

/** Node code running as that user until stop() (which resolves its stdout). */
export function startAs(user: LocalUser, code: string, args: string[] = []): { stop: () => Promise<string>; process: ChildProcess } {
  const child = spawn(process.execPath, ['-e', code, ...args], { uid: user.uid, gid: user.gid, cwd: '/', stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    process: child,
    stop: async () => {
      child.stdin!.end();
      await exited;
      return out;
    },
  };
}

/** A root-owned 0600 file standing in for /etc/shadow, in a root-owned 0700 directory; its content and stats. */
export function fakeShadow(): { dir: string; file: string; content: string } {
  const dir = sharedDir('shadow', { mode: 0o700 });
  const file = `${dir}/shadow`;
  const content = 'root:$y$not-a-real-hash:19000:0:99999:7:::\n';
  fs.writeFileSync(file, content, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return { dir, file, content };
}

/** Owner, mode and content of a file, to compare before and after an attack. */
export function fingerprint(file: string): { uid: number; gid: number; mode: number; content: string } {
  const stats = fs.statSync(file);
  return { uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o7777, content: fs.readFileSync(file, 'utf8') };
}

/** Writes a file owned by that user. */
export function writeAs(user: LocalUser, file: string, content: string, mode = 0o644): void {
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
  fs.chownSync(file, user.uid, user.gid);
}
