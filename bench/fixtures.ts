// The bench's own files, in a temp dir next to the test bed: a clean HOME for every tool, an ssh_config of many
// aliases of the test bed's `direct` sshd (each alias a separate connection), and the start-up projects.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Testbed } from '../test/hosts/testbed.ts';
import { startSshd } from '../test/support/sshd.ts';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = path.dirname(BENCH_DIR);
export const FAB_BIN = path.join(REPO_DIR, 'dist', 'cli', 'bin.js');
export const TASKS_FABFILE = path.join(BENCH_DIR, 'fabfiles', 'tasks.ts');
/** The repository's example fabfile (the start-up figure); bench/fabfiles/example.py is its Python twin. */
export const EXAMPLE_FABFILE = path.join(REPO_DIR, 'fabfile.example.ts');
export const PYTHON = '/usr/bin/python3';
export const PYTHON_DIR = path.join(BENCH_DIR, 'python');

/** How many aliases the fleet's ssh_config holds: enough for the largest figure (1,000 hosts). */
export const MAX_ALIASES = 1000;

/**
 * The sshd that the many-host figures (fan-out, 1,000 hosts, memory) connect to, started by the bench: the test bed's
 * `direct` config and host key, with
 * - UsePAM no: Debian's PAM session stack (pam_motd runs run-parts and uname at every login, pam_systemd, pam_env...)
 *   costs the host ~25 ms of CPU per connection on the bench machine, for every client alike (15 sequential
 *   connections each: fab 70 -> 46 ms, ssh 76 -> 52 ms). On 2 cores shared with the client it is the larger part of
 *   every fan-out's wall time, and of how long the bench takes;
 * - MaxStartups 2000:30:2000 (1,000 unauthenticated connections at once) and descriptors up to the hard limit.
 * The one-command, per-command, bastion and SFTP figures use the test bed's own hosts, PAM included.
 */
export interface Fleet {
  port: number;
  /** The listener's pid: its CPU and its reaped children's are the server's share (withServerCpu). */
  pid: number;
  /** Its log (LogLevel VERBOSE): one "Accepted publickey" line per login. */
  logPath: string;
  stop(): void;
}

export interface Fixtures {
  dir: string;
  /** The environment every tool runs with: a clean HOME, no ssh-agent. */
  env: NodeJS.ProcessEnv;
  tb: Testbed;
  /** The bench's own sshd for the many-host figures (see Fleet). */
  fleet: Fleet;
  /** ssh_config naming h1 ... h1000, all the fleet sshd, each alias a connection of its own. */
  fanoutConfig: string;
  aliases(count: number): string[];
  /** A file listing the first `count` aliases, one a line (for xargs). */
  aliasFile(count: number): string;
  /** Start-up projects holding the same example fabfile: without a package.json (CommonJS) and in a "type": "module" package. */
  projects: { plain: string; module: string };
}

export async function makeFixtures(tb: Testbed): Promise<Fixtures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-bench-'));
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', NO_COLOR: '1', PYTHONDONTWRITEBYTECODE: '1' };

  const sshd = await startSshd(tb, {
    configLines: ['UsePAM no', 'MaxStartups 2000:30:2000'],
    wrap: ['sh', '-c', 'ulimit -n "$(ulimit -Hn)" && exec "$@"', 'sh'],
  });
  const fleet: Fleet = { port: sshd.port, pid: sshd.pid, logPath: path.join(tb.dir, 'logs', `extra-${sshd.port}.log`), stop: () => sshd.stop() };
  const fanoutConfig = writeAliasConfig(dir, 'fanout_ssh_config', tb, fleet.port, MAX_ALIASES);
  const aliases = (count: number) => Array.from({ length: count }, (_, i) => `h${i + 1}`);
  const aliasFile = (count: number) => {
    const file = path.join(dir, `aliases-${count}.txt`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, `${aliases(count).join('\n')}\n`);
    return file;
  };

  const projects = { plain: path.join(dir, 'plain'), module: path.join(dir, 'module') };
  for (const project of Object.values(projects)) {
    fs.mkdirSync(project);
    fs.copyFileSync(EXAMPLE_FABFILE, path.join(project, 'fabfile.ts'));
    fs.copyFileSync(path.join(BENCH_DIR, 'fabfiles', 'example.py'), path.join(project, 'fabfile.py'));
  }
  fs.writeFileSync(path.join(projects.module, 'package.json'), '{ "name": "bench-project", "private": true, "type": "module" }\n');
  return { dir, env, tb, fleet, fanoutConfig, aliases, aliasFile, projects };
}

const HOST_KEY_ALIAS = 'fabts-bench-direct';

/**
 * An ssh_config naming h1 ... hCOUNT, each an alias of the sshd on `port` (the test bed's `direct`, or one the bench
 * starts with direct's host key). fabts shares one connection among aliases of the same user@host:port, so each alias
 * spells the loopback address its own way (127.0.0.1, 127.0.0.01, 127.00.0.1 ...: getaddrinfo reads them all as
 * 127.0.0.1) to be a connection of its own, as it is for ssh and Python Fabric. One HostKeyAlias names the key.
 */
export function writeAliasConfig(dir: string, name: string, tb: Testbed, port: number, count: number): string {
  const lines = [`# fabts bench: aliases h1 ... h${count} of the sshd on port ${port}, each a separate connection`, ''];
  for (let i = 1; i <= count; i++) lines.push(`Host h${i}`, `  HostName ${loopbackSpelling(i)}`);
  const knownHosts = path.join(dir, `known_hosts-${port}`);
  fs.writeFileSync(knownHosts, `${HOST_KEY_ALIAS},[${HOST_KEY_ALIAS}]:${port} ${tb.hosts.direct.hostKey}\n`);
  lines.push(
    '',
    'Host h*',
    `  Port ${port}`,
    `  User ${tb.user}`,
    `  IdentityFile ${tb.keyPath}`,
    '  IdentitiesOnly yes',
    `  HostKeyAlias ${HOST_KEY_ALIAS}`,
    `  UserKnownHostsFile ${knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  UpdateHostKeys no',
    '  ControlMaster no',
    '  ControlPath none',
    '  LogLevel ERROR',
    '',
  );
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

/** The i-th spelling of 127.0.0.1 (i from 1): leading zeros in the last three parts, which inet_aton ignores. */
function loopbackSpelling(i: number): string {
  const n = i - 1;
  const zeros = (count: number) => '0'.repeat(count);
  return `127.${zeros((n % 8) + 1)}.${zeros((Math.floor(n / 8) % 8) + 1)}.${zeros(Math.floor(n / 64))}1`;
}

export function removeFixtures(fixtures: Fixtures): void {
  fixtures.fleet.stop();
  fs.rmSync(fixtures.dir, { recursive: true, force: true });
}

/** argv of the built `fab` (what a user runs). */
export function fab(...args: string[]): string[] {
  return [process.execPath, FAB_BIN, ...args];
}

/** argv of one of the bench's Python Fabric scripts. */
export function python(script: string, ...args: string[]): string[] {
  return [PYTHON, path.join(PYTHON_DIR, script), ...args];
}
