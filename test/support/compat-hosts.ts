// Servers and accounts set up differently from the test bed's own (issue 16, compatibility): users whose login
// shell is fish, tcsh, csh, zsh, dash or busybox sh; sudo with `requiretty`; Dropbear. Started by the tests that
// need them only, on top of a running test bed, and removed by pid / by name when they end.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Testbed } from '../hosts/testbed.ts';
import { startDaemon, startSshd, type ExtraSshd } from './sshd.ts';
import { TcpProxy } from './tcp-proxy.ts';

/** Login shells to test under, by name; busybox runs as `sh` through a symlink (its applet is picked by argv[0]). */
export const LOGIN_SHELLS = {
  bash: '/bin/bash',
  dash: '/bin/dash',
  zsh: '/usr/bin/zsh',
  busybox: 'busybox-sh',
  fish: '/usr/bin/fish',
  tcsh: '/usr/bin/tcsh',
  csh: '/usr/bin/csh',
} as const;
export type LoginShell = keyof typeof LOGIN_SHELLS;

/** Every test user this module makes is named `fabc-<what>`; sshd lets in `fabtest fabc-*`. */
const PREFIX = 'fabc-';
const SUDOERS = '/etc/sudoers.d/fabts-compat';

function sh(command: string, args: string[], input?: string): string {
  const out = spawnSync(command, args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${out.status ?? out.signal}): ${out.stderr}`);
  return out.stdout;
}

function compatDir(tb: Testbed): string {
  const dir = path.join(tb.dir, 'compat');
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  return dir;
}

function shellPath(tb: Testbed, shell: LoginShell): string {
  const file = LOGIN_SHELLS[shell];
  if (file !== 'busybox-sh') return file;
  const link = path.join(compatDir(tb), 'busybox', 'sh');
  if (!fs.existsSync(link)) {
    fs.mkdirSync(path.dirname(link), { recursive: true, mode: 0o755 });
    fs.symlinkSync('/bin/busybox', link);
  }
  return link;
}

export interface CompatUser {
  name: string;
  home: string;
  uid: number;
}

/**
 * A user with this login shell, the test bed's key authorized (also in ~/.ssh for Dropbear), the test bed's
 * password, and sudo with that password (plus `extraSudoers` lines, e.g. `Defaults:%u requiretty`).
 */
export function makeUser(tb: Testbed, what: string, shell: LoginShell, extraSudoers: string[] = []): CompatUser {
  const name = `${PREFIX}${what}`;
  const homes = path.join(compatDir(tb), 'home');
  fs.mkdirSync(homes, { mode: 0o711, recursive: true });
  fs.chmodSync(homes, 0o711);
  const home = path.join(homes, name);
  if (spawnSync('getent', ['passwd', name]).status === 0) sh('userdel', [name]);
  fs.mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  sh('useradd', ['-M', '-d', home, '-s', shellPath(tb, shell), '-c', 'fabts compat test user', name]);
  sh('chpasswd', [], `${name}:${tb.password}\n`);
  const uid = Number(sh('id', ['-u', name]).trim());
  const key = fs.readFileSync(`${tb.keyPath}.pub`, 'utf8');
  fs.writeFileSync(path.join(tb.dir, 'authorized_keys', name), key, { mode: 0o644 });
  fs.writeFileSync(path.join(home, '.ssh', 'authorized_keys'), key, { mode: 0o600 });
  sh('chown', ['-R', `${uid}:${uid}`, home]);
  fs.chmodSync(home, 0o700);
  const lines = [`Defaults:${name} !lecture, passwd_tries=1, timestamp_timeout=0`, ...extraSudoers.map((l) => l.replace(/%u/g, name)), `${name} ALL=(ALL:ALL) ALL`];
  addSudoers(lines);
  return { name, home, uid };
}

function addSudoers(lines: string[]): void {
  const text = `${fs.existsSync(SUDOERS) ? fs.readFileSync(SUDOERS, 'utf8') : '# fabts compat tests (test/support/compat-hosts.ts)\n'}${lines.join('\n')}\n`;
  const tmp = `${SUDOERS}.tmp`; // sudo skips names with a dot
  fs.writeFileSync(tmp, text, { mode: 0o440 });
  const check = spawnSync('visudo', ['-cf', tmp], { encoding: 'utf8' });
  if (check.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`visudo rejected ${lines.join(' / ')}: ${check.stdout}${check.stderr}`);
  }
  fs.renameSync(tmp, SUDOERS);
}

/** Removes every `fabc-*` user and the sudoers file. */
export function removeUsers(): void {
  fs.rmSync(SUDOERS, { force: true });
  const passwd = fs.readFileSync('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const name = line.split(':')[0]!;
    if (name.startsWith(PREFIX)) spawnSync('userdel', [name]);
  }
}

/** An OpenSSH sshd like the test bed's `direct` that also lets the compat users in, with these config lines. */
export function startCompatSshd(tb: Testbed, configLines: string[] = [], drop: string[] = []): Promise<ExtraSshd> {
  return startSshd(tb, { configLines: [`AllowUsers ${tb.user} ${PREFIX}*`, ...configLines], drop });
}

/** Settings reaching a raw 127.0.0.1:port as `user` with the test bed's key. */
export function hostSettings(tb: Testbed, user: string = tb.user): Record<string, unknown> {
  return { user, keyFilename: [tb.keyPath], hostKeyPolicy: 'off', sudoPassword: tb.password };
}

/** Dropbear (Debian's dropbear-bin) on a free port, in the foreground, logging to stderr; stopped by pid. */
export async function startDropbear(tb: Testbed, options: { sftp?: boolean } = {}): Promise<ExtraSshd & { logPath: string }> {
  const dir = compatDir(tb);
  const key = path.join(dir, 'dropbear_ed25519_host_key');
  if (!fs.existsSync(key)) sh('dropbearkey', ['-t', 'ed25519', '-f', key]);
  const port = await TcpProxy.freePort();
  const logPath = path.join(tb.dir, 'logs', `dropbear-${port}.log`);
  const log = fs.openSync(logPath, 'a', 0o600);
  const args = ['-F', '-E', '-p', `127.0.0.1:${port}`, '-r', key, '-s'];
  // Dropbear runs the sftp-server it was built with (/usr/lib/sftp-server): without it there is no SFTP at all.
  const wrap = options.sftp === false ? ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none /usr/lib/openssh && exec "$@"', 'sh'] : [];
  const [command, ...rest] = [...wrap, '/usr/sbin/dropbear', ...args];
  try {
    const daemon = await startDaemon(command!, rest, {
      host: '127.0.0.1',
      port,
      stdio: ['ignore', log, log],
      failure: () => `dropbear on port ${port} did not come up: ${fs.readFileSync(logPath, 'utf8')}`,
    });
    return { port, ...daemon, logPath };
  } finally {
    fs.closeSync(log);
  }
}
