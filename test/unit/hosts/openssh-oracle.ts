// OpenSSH as the oracle for ssh_config resolution: write a config into a throwaway home, resolve a host with fabts,
// ask `ssh -G` (and `ssh -v` for the values -G prints unexpanded), and compare.
//
// How ssh finds "home" matters: Include paths go through glob(3) with GLOB_TILDE, which uses $HOME, so the child gets
// HOME=<temp home>; but IdentityFile, UserKnownHostsFile, IdentityAgent and %d use the password database (getpwuid),
// so those expand to this user's real home, whatever $HOME says. The fabts side is given the same two homes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadSshConfig, resolveSshHost, type SshHostConfig } from '../../../src/hosts/ssh-config.ts';
import { isFabError } from '../../../src/errors.ts';

export const hasOpenSsh = spawnSync('ssh', ['-V']).status === 0;
export const skipWithoutSsh = hasOpenSsh ? false : 'OpenSSH client (ssh -G) not installed';

/** The keys ssh tries when no IdentityFile is configured, as `ssh -G` prints them (OpenSSH 9.x). */
const DEFAULT_IDENTITY_FILES = ['rsa', 'ecdsa', 'ecdsa_sk', 'ed25519', 'ed25519_sk', 'xmss', 'dsa'].map((k) => `~/.ssh/id_${k}`);

const roots: string[] = [];
let counter = 0;

/** Removes every temp home this module made; call from `after()`. */
export function cleanUp(): void {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
}

/** A throwaway home holding `files` (paths relative to it, `{{home}}` in a text is the home); a string is `.ssh/config`. */
export function makeHome(files: string | Record<string, string>): { home: string; config: string } {
  if (roots.length === 0) roots.push(mkdtempSync(join(tmpdir(), 'fabts-ssh-config-')));
  const home = join(roots[0] ?? tmpdir(), `home${counter++}`);
  const all = typeof files === 'string' ? { '.ssh/config': files } : files;
  mkdirSync(join(home, '.ssh'), { recursive: true });
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(home, path)), { recursive: true });
    writeFileSync(join(home, path), text.replaceAll('{{home}}', home));
  }
  return { home, config: join(home, '.ssh/config') };
}

export interface CommandLine {
  user?: string;
  port?: number;
}

function sshArgs(config: string, host: string, cli: CommandLine): string[] {
  const args = ['-F', config];
  if (cli.user !== undefined) args.push('-l', cli.user);
  if (cli.port !== undefined) args.push('-p', String(cli.port));
  return [...args, '--', host];
}

function runSsh(args: string[], home: string): { status: number | null; stdout: string; stderr: string } {
  // Generous: the side lane runs beside the test bed's heaviest files on 2 cores. A cut-off ssh would print half a
  // log, so a timeout is its own failure, never a comparison with half the values.
  const result = spawnSync('ssh', args, { env: { ...process.env, HOME: home }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  assert.ok(result.signal === null && result.error === undefined, `ssh ${args.join(' ')} did not finish: ${result.error?.message ?? result.signal}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `ssh -G` as a map from lowercase keyword to its values. */
function sshDashG(config: string, host: string, cli: CommandLine, home: string): Map<string, string[]> {
  const { status, stdout, stderr } = runSsh(['-G', ...sshArgs(config, host, cli)], home);
  assert.equal(status, 0, `ssh -G failed: ${stderr}`);
  const options = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space === -1) continue;
    const key = line.slice(0, space);
    options.set(key, [...(options.get(key) ?? []), line.slice(space + 1)]);
  }
  return options;
}

/**
 * `ssh -v` with a proxy command that exits at once: ssh then logs the identity files it loads, fully expanded
 * (`ssh -G` in 9.x prints them unexpanded), and, without `stubProxy`, the expanded proxy command it executes.
 */
function sshDashV(config: string, host: string, cli: CommandLine, home: string, stubProxy: boolean): string {
  const stub = stubProxy ? ['-o', 'ProxyCommand=exec true'] : [];
  return runSsh(['-v', '-o', 'BatchMode=yes', ...stub, ...sshArgs(config, host, cli)], home).stderr;
}

function identityFilesFromLog(log: string): string[] {
  const files = [...log.matchAll(/^debug1: identity file (.*) type -?\d+$/gm)].map((m) => m[1] ?? '');
  return files.filter((file, i) => !(file.endsWith('-cert') && files[i - 1] === file.slice(0, -'-cert'.length)));
}

/** The fields both sides can show, in ssh -G's vocabulary. */
interface Comparable {
  hostname: string;
  port: string;
  user: string;
  identityFiles: string[] | 'defaults';
  identitiesOnly: string;
  identityAgent: string | undefined;
  proxyJump: string | undefined;
  proxyCommand: string | undefined;
  connectTimeout: string;
  serverAliveInterval: string;
  serverAliveCountMax: string;
  strictHostKeyChecking: string;
  userKnownHostsFiles: string;
  forwardAgent: string;
  compression: string;
  hostKeyAlias: string | undefined;
  connectionAttempts: string;
}

function fromFabts(c: SshHostConfig): Comparable {
  const yesNo = (value: boolean | undefined) => (value ? 'yes' : 'no');
  const strict = { yes: 'true', no: 'false', off: 'false', ask: 'ask', 'accept-new': 'accept-new' } as const;
  return {
    hostname: c.hostname,
    port: String(c.port),
    user: c.user,
    identityFiles: c.useDefaultIdentityFiles ? 'defaults' : c.identityFiles,
    identitiesOnly: yesNo(c.identitiesOnly),
    identityAgent: c.identityAgent,
    proxyJump: c.proxyJump?.join(','),
    proxyCommand: c.proxyCommand,
    connectTimeout: c.connectTimeout === undefined ? 'none' : String(c.connectTimeout),
    serverAliveInterval: String(c.serverAliveInterval ?? 0),
    serverAliveCountMax: String(c.serverAliveCountMax ?? 3),
    strictHostKeyChecking: c.strictHostKeyChecking === undefined ? 'ask' : strict[c.strictHostKeyChecking],
    userKnownHostsFiles: c.userKnownHostsFiles.length === 0 ? 'none' : c.userKnownHostsFiles.join(' '),
    forwardAgent: c.forwardAgentSocket ?? yesNo(c.forwardAgent),
    compression: yesNo(c.compression),
    hostKeyAlias: c.hostKeyAlias,
    connectionAttempts: String(c.connectionAttempts ?? 1),
  };
}

function fromOpenSsh(config: string, host: string, cli: CommandLine, home: string): Comparable {
  const g = sshDashG(config, host, cli, home);
  const one = (key: string) => g.get(key)?.[0];
  const listed = g.get('identityfile') ?? [];
  const defaults = listed.length === DEFAULT_IDENTITY_FILES.length && listed.every((f, i) => f === DEFAULT_IDENTITY_FILES[i]);
  let proxyCommand = one('proxycommand');
  if (proxyCommand !== undefined) {
    const executed = /^debug1: Executing proxy command: exec (.*)$/m.exec(sshDashV(config, host, cli, home, false));
    proxyCommand = executed?.[1] ?? `(ssh did not run "${proxyCommand}")`;
  }
  return {
    hostname: one('hostname') ?? '',
    port: one('port') ?? '',
    user: one('user') ?? '',
    identityFiles: defaults ? 'defaults' : identityFilesFromLog(sshDashV(config, host, cli, home, true)),
    identitiesOnly: one('identitiesonly') ?? '',
    identityAgent: one('identityagent'),
    proxyJump: one('proxyjump'),
    proxyCommand,
    connectTimeout: one('connecttimeout') ?? '',
    serverAliveInterval: one('serveraliveinterval') ?? '',
    serverAliveCountMax: one('serveralivecountmax') ?? '',
    strictHostKeyChecking: one('stricthostkeychecking') ?? '',
    userKnownHostsFiles: one('userknownhostsfile') ?? '',
    forwardAgent: one('forwardagent') ?? '',
    compression: one('compression') ?? '',
    hostKeyAlias: one('hostkeyalias'),
    connectionAttempts: one('connectionattempts') ?? '',
  };
}

/** Resolves `host` with fabts and with OpenSSH and asserts they agree. */
export async function sameAsOpenSsh(files: string | Record<string, string>, host: string, cli: CommandLine = {}): Promise<void> {
  const { home, config } = makeHome(files);
  const env = { ...process.env, HOME: home };
  const loaded = await loadSshConfig(config, { home });
  const ours = resolveSshHost(loaded, host, { ...cli, env });
  assert.deepEqual(fromFabts(ours), fromOpenSsh(config, host, cli, home), `resolving ${host} differs from ssh -G`);
}

/** Both fabts and OpenSSH refuse the config, and both blame the same line. */
export async function rejectedLikeOpenSsh(files: string | Record<string, string>, line: number, message?: RegExp): Promise<void> {
  const { home, config } = makeHome(files);
  const ssh = runSsh(['-G', ...sshArgs(config, 'a', {})], home);
  assert.equal(ssh.status, 255, 'ssh -G accepted the config');
  assert.match(ssh.stderr, new RegExp(`line ${line}\\b`), `ssh blamed another line: ${ssh.stderr}`);
  await assert.rejects(
    async () => resolveSshHost(await loadSshConfig(config, { home }), 'a'),
    (error: unknown) => {
      assert.ok(isFabError(error), String(error));
      assert.equal(error.code, 'BAD_CONFIG');
      assert.match(error.message, new RegExp(`line ${line}:`));
      assert.doesNotMatch(error.message, /\n/);
      if (message) assert.match(error.message, message);
      return true;
    },
  );
}
