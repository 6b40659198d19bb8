// Resolving a host through an OpenSSH client config, as ssh(1) does (readconf.c, ssh.c): the first value obtained
// for an option wins, IdentityFile accumulates, Host matches what was typed, Match host matches the HostName so far,
// and `Match final` (or CanonicalizeHostname) reads the config a second time with the final host name.
import { createHash } from 'node:crypto';
import { homedir, hostname as localHostname, userInfo } from 'node:os';
import { settleHostname } from './address.ts';
import { parseHostString } from './spec.ts';
import type { ConfigLocation, SshConfigFile } from './ssh-config-file.ts';
import type { StrictHostKeyChecking } from './ssh-config-options.ts';
import { expanded, expandHostName, runPass, type PassState } from './ssh-config-passes.ts';
import { dollarExpand, percentExpand, shellUnsafe, tildeExpand } from './tokens.ts';
import { UsageError } from '../errors.ts';

export { emptySshConfig, loadSshConfig, type LoadSshConfigOptions, type SshConfigFile } from './ssh-config-file.ts';
export type { StrictHostKeyChecking } from './ssh-config-options.ts';

/** What ssh_config says about one host, with tokens, `~` and `${ENV}` expanded. */
export interface SshHostConfig {
  /** The name as given (an alias, maybe). */
  host: string;
  /** HostName with %h expanded, else host; lowercased like ssh does (address literals keep their form). */
  hostname: string;
  port: number;
  user: string;
  /** Expanded, in order, `IdentityFile none` left out; [] when the config names none. */
  identityFiles: string[];
  /** False when the config named any IdentityFile (even `none`): then ssh tries no default keys. */
  useDefaultIdentityFiles: boolean;
  identitiesOnly: boolean;
  /** 'none', 'SSH_AUTH_SOCK', `$VAR`, or an expanded path. */
  identityAgent?: string;
  /** Jump hosts in order, each `user@host:port` with only the given parts; undefined when unset or `none`. */
  proxyJump?: string[];
  /** With %h %n %p %r expanded; undefined when unset or `none`. */
  proxyCommand?: string;
  connectTimeout?: number;
  serverAliveInterval?: number;
  /** 3 when ServerAliveInterval is set and this is not. */
  serverAliveCountMax?: number;
  /** `true`/`false` are given as 'yes'/'no', and `off` as 'no'. */
  strictHostKeyChecking?: StrictHostKeyChecking;
  /** Expanded; [] for `none`; default ~/.ssh/known_hosts and ~/.ssh/known_hosts2. */
  userKnownHostsFiles: string[];
  /** Expanded; [] for `none`; default /etc/ssh/ssh_known_hosts and /etc/ssh/ssh_known_hosts2 (read, never written). */
  globalKnownHostsFiles: string[];
  forwardAgent?: boolean;
  /** ForwardAgent given as a socket (a path, expanded, or `$VAR`): forwardAgent is then true. */
  forwardAgentSocket?: string;
  compression?: boolean;
  hostKeyAlias?: string;
  connectionAttempts?: number;
}

export interface ResolveSshHostOptions {
  /** From the command line: wins over the file. */
  user?: string;
  /** From the command line: wins over the file. */
  port?: number;
  /** Used when the file names no User (instead of the local user): settings that rank below the file. */
  defaultUser?: string;
  /** Used when the file names no Port (instead of 22). */
  defaultPort?: number;
  /** Default: the login name of this process (getpwuid, as ssh). */
  localUser?: string;
  /** For `~` and %d; default: this user's home from the password database, as ssh (not $HOME). */
  home?: string;
  /** For `${VAR}`; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** For %l and %L; default os.hostname(). */
  localHostname?: string;
}

/** OpenSSH's default GlobalKnownHostsFile. */
export const GLOBAL_KNOWN_HOSTS_FILES: readonly string[] = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

let account: { readonly username: string; readonly homedir: string } | undefined;

/**
 * The password-database account, as ssh uses it; a uid without one (some containers) falls back to the environment.
 * Read once a process (getpwuid reads /etc/passwd each time, and every host's resolution asks).
 */
export function localAccount(): { readonly username: string; readonly homedir: string } {
  if (account) return account;
  try {
    const { username, homedir: home } = userInfo();
    account = { username, homedir: home };
  } catch {
    account = { username: process.env.USER ?? process.env.LOGNAME ?? '', homedir: homedir() };
  }
  return account;
}

/**
 * Resolves `host` through `config` with ssh_config(5) semantics; command-line `user` and `port` win over the file.
 * @throws UsageError BAD_CONFIG when a value cannot be expanded (an unknown %token or an unset ${VAR}).
 */
export function resolveSshHost(config: SshConfigFile, host: string, options: ResolveSshHostOptions = {}): SshHostConfig {
  const account = options.localUser === undefined || options.home === undefined ? localAccount() : undefined;
  const localUser = options.localUser ?? account?.username ?? '';
  const home = options.home ?? account?.homedir ?? '/';
  const env = options.env ?? process.env;
  const commandLine: ConfigLocation = { file: 'the command line', line: 0 };

  const state: PassState = { obtained: {}, identityFiles: [], wantFinalPass: false };
  if (options.user !== undefined) state.obtained.user = { value: options.user, at: commandLine };
  if (options.port !== undefined) state.obtained.port = { value: options.port, at: commandLine };

  runPass(config.entries, state, { host, originalHost: host, finalPass: false, localUser }, true, false);

  const hostnameAt = state.obtained.hostname?.at;
  const hostname = settleHostname(expandHostName(state.obtained.hostname?.value ?? host, host, hostnameAt));
  const canonicalize = state.obtained.canonicalizehostname?.value;
  if (state.wantFinalPass || (canonicalize !== undefined && canonicalize !== 'no')) {
    // ssh re-reads the config with the final name; the name itself no longer changes (no DNS canonicalization here).
    state.obtained.hostname = { value: hostname, at: hostnameAt ?? commandLine };
    runPass(config.entries, state, { host: hostname, originalHost: host, finalPass: true, localUser }, true, false);
  }

  const got = state.obtained;
  const port = got.port?.value ?? options.defaultPort ?? 22;
  const user = got.user?.value ?? options.defaultUser ?? localUser;
  const proxy = state.proxy;
  const proxyJump = proxy?.key === 'proxyjump' && proxy.value !== 'none' ? proxy.value : undefined;
  const thisHost = options.localHostname ?? localHostname();
  const tokens: Record<string, string> = {
    C: createHash('sha1').update(`${thisHost}${hostname}${port}${user}`).digest('hex'),
    L: thisHost.split('.')[0] ?? thisHost,
    i: String(process.getuid?.() ?? 0),
    k: got.hostkeyalias?.value ?? host,
    l: thisHost,
    n: host,
    p: String(port),
    d: home,
    h: hostname,
    r: user,
    u: localUser,
    j: proxyJump === undefined ? '' : parseHostString(proxyJump.at(-1) ?? '').host, // newer OpenSSH: the last jump host
  };
  // tilde first, then ${ENV}, then %tokens: the order of ssh's default_client_percent_dollar_expand().
  const expandPath = (value: string, at: ConfigLocation | undefined, what: string) =>
    expanded(at, what, () => percentExpand(dollarExpand(tildeExpand(value, home), env), tokens));

  const result: SshHostConfig = {
    host,
    hostname,
    port,
    user,
    identityFiles: state.identityFiles
      .filter((file) => file.value.toLowerCase() !== 'none')
      .map((file) => expandPath(file.value, file.at, 'IdentityFile')),
    useDefaultIdentityFiles: state.identityFiles.length === 0,
    identitiesOnly: got.identitiesonly?.value ?? false,
    userKnownHostsFiles: (got.userknownhostsfile?.value ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'])
      .filter((file) => file.toLowerCase() !== 'none')
      .map((file) => expandPath(file, got.userknownhostsfile?.at, 'UserKnownHostsFile')),
    globalKnownHostsFiles: (got.globalknownhostsfile?.value ?? GLOBAL_KNOWN_HOSTS_FILES)
      .filter((file) => file.toLowerCase() !== 'none')
      .map((file) => expandPath(file, got.globalknownhostsfile?.at, 'GlobalKnownHostsFile')),
  };
  if (got.identityagent) result.identityAgent = expandPath(got.identityagent.value, got.identityagent.at, 'IdentityAgent');
  if (proxyJump !== undefined) result.proxyJump = proxyJump;
  if (proxy?.key === 'proxycommand' && proxy.value.toLowerCase() !== 'none') {
    const command = proxy.value;
    const proxyTokens = { h: hostname, n: host, p: String(port), r: user };
    result.proxyCommand = expanded(state.proxyAt, 'ProxyCommand', () => percentExpand(command, proxyTokens, (key, value) => refuseShellUnsafe(key, value, state.proxyAt)));
  }
  if (got.connecttimeout) result.connectTimeout = got.connecttimeout.value;
  if (got.serveraliveinterval) result.serverAliveInterval = got.serveraliveinterval.value;
  if (got.serveralivecountmax) result.serverAliveCountMax = got.serveralivecountmax.value;
  else if (got.serveraliveinterval) result.serverAliveCountMax = 3;
  if (got.stricthostkeychecking) result.strictHostKeyChecking = got.stricthostkeychecking.value;
  const forward = got.forwardagent?.value;
  if (typeof forward === 'boolean') result.forwardAgent = forward;
  else if (forward !== undefined) {
    result.forwardAgent = true;
    result.forwardAgentSocket = forward.startsWith('$') ? forward : expandPath(forward, got.forwardagent?.at, 'ForwardAgent');
  }
  if (got.compression) result.compression = got.compression.value;
  if (got.hostkeyalias) result.hostKeyAlias = got.hostkeyalias.value;
  if (got.connectionattempts) result.connectionAttempts = got.connectionattempts.value;
  return result;
}

/**
 * ProxyCommand runs through /bin/sh with its tokens pasted in unquoted: a host or user name that the shell would
 * read as code (`a;id`, `$(...)`) is refused, as OpenSSH 9.6 does since CVE-2023-51385. The names may come from -H,
 * task hosts, or a .fab/last-run.json read back by `-H @failed`.
 */
function refuseShellUnsafe(key: string, value: string, at: ConfigLocation | undefined): void {
  if (key !== 'h' && key !== 'n' && key !== 'r') return;
  const why = shellUnsafe(value);
  if (why === undefined) return;
  const what = key === 'r' ? 'user name' : 'host name';
  const where = at ? ` (${at.file} line ${at.line})` : '';
  throw new UsageError(
    `refusing the ${what} ${JSON.stringify(value)}: ${why}, and ProxyCommand${where} would hand it (%${key}) to the shell; ` +
      'use a plain name (OpenSSH 9.6 refuses it too, CVE-2023-51385)',
    'BAD_HOST',
  );
}
