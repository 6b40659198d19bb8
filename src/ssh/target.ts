import { homedir } from 'node:os';
import { runLocal } from '../env/context.ts';
import { configuredValue, env } from '../env/env.ts';
import { UsageError } from '../errors.ts';
import { parseHostString, formatHostString } from '../hosts/spec.ts';
import { GLOBAL_KNOWN_HOSTS_FILES, loadSshConfig, localAccount, resolveSshHost, type SshConfigFile } from '../hosts/ssh-config.ts';
import type { HostKeyPolicy } from './host-key-policy.ts';
import { expandHome } from './keys.ts';

/** Everything needed to open one SSH connection, resolved from the host string, env and ssh_config. */
export interface ConnectTarget {
  /** Pool key: one connection per user@hostname:port and the chain of hops before it. */
  key: string;
  /** How the user named it (`web1`, `deploy@web1:2222`). */
  label: string;
  hostname: string;
  port: number;
  user: string;
  /** -i / env.keyFilename: a missing one is an error. */
  identityFiles: string[];
  /** ssh_config IdentityFile: missing ones are skipped, as OpenSSH does. */
  configIdentityFiles: string[];
  identitiesOnly: boolean;
  /** The name known_hosts records: HostKeyAlias, else HostName. */
  hostKeyName: string;
  /** The port known_hosts records (`[name]:port` unless 22): none for a HostKeyAlias, as ssh(1) writes `alias` alone. */
  hostKeyPort: number;
  /** The ssh-agent socket used to authenticate (undefined with -a, IdentityAgent none, or no agent). */
  agent: string | undefined;
  /** The agent socket forwarded with -A / ForwardAgent (ForwardAgent's own socket, else IdentityAgent / SSH_AUTH_SOCK). */
  forwardAgentSocket: string | undefined;
  useDefaultIdentities: boolean;
  /** The hop this connection is made through (ProxyJump / gateway), itself a pooled connection. */
  jump: ConnectTarget | undefined;
  proxyCommand: string | undefined;
  connectTimeout: number;
  keepaliveInterval: number;
  keepaliveCountMax: number;
  connectionAttempts: number;
  hostKeyPolicy: HostKeyPolicy;
  /** UserKnownHostsFile (or env.knownHostsFile): read, and new hosts recorded in the first. */
  knownHostsFiles: string[];
  /** GlobalKnownHostsFile: read after the user's files, never written. */
  globalKnownHostsFiles: string[];
  forwardAgent: boolean;
  compression: boolean;
  /** Passwords are looked up by these names (env.passwords keys). */
  passwordKeys: string[];
}

/** ssh_config files as parsed, once per run (env/context.ts): a later run in the process reads them afresh. */
const configCacheOf = runLocal(() => new Map<string, Promise<SshConfigFile | undefined>>());

function sshConfig(): Promise<SshConfigFile | undefined> {
  if (env.useSshConfig === false) return Promise.resolve(undefined);
  const path = expandHome((env.sshConfigPath as string | undefined) ?? '~/.ssh/config');
  const configCache = configCacheOf();
  let loaded = configCache.get(path);
  if (!loaded) configCache.set(path, (loaded = loadSshConfig(path)));
  return loaded;
}

export function clearTargetCache(): void {
  configCacheOf().clear();
}

/**
 * IdentityAgent as ssh(1) reads it: unset or `SSH_AUTH_SOCK` -> $SSH_AUTH_SOCK, `none` -> no agent, `$VAR` -> the
 * socket named by that environment variable, anything else -> a socket path (already expanded).
 */
function agentSocket(setting: string | undefined): string | undefined {
  if (setting === undefined || setting === 'SSH_AUTH_SOCK') return process.env.SSH_AUTH_SOCK || undefined;
  if (setting === 'none') return undefined;
  if (setting.startsWith('$')) return process.env[setting.slice(1)] || undefined;
  return setting;
}

function policyFrom(value: string | undefined): HostKeyPolicy | undefined {
  switch (value) {
    case 'yes':
      return 'strict';
    case 'no':
    case 'off':
      return 'off';
    case 'accept-new':
      return 'accept-new';
    case 'ask':
      return 'ask';
    default:
      return undefined;
  }
}

/**
 * Resolves a host string to a connect target. Precedence per value: the host string, then env (flags,
 * fabfile, config files), then ssh_config, then OpenSSH's defaults. `env.gateway` puts every target
 * behind that host (except the gateway itself); otherwise ssh_config's ProxyJump/ProxyCommand apply.
 */
export async function resolveTarget(text: string, options: { viaGateway?: boolean; seen?: Set<string> } = {}): Promise<ConnectTarget> {
  const seen = options.seen ?? new Set<string>();
  if (seen.has(text)) throw new UsageError(`jump host loop: ${[...seen, text].join(' -> ')}`, 'BAD_HOST');
  seen.add(text);
  const spec = parseHostString(text);
  const config = await sshConfig();
  const localUser = localAccount().username;
  const envUser = configuredValue<string>('user');
  const envPort = configuredValue<number>('port');
  // A jump host is configured for itself: as with ssh's -l and -p, env.user and env.port only fill in what its
  // ssh_config entry leaves unset (`-u deploy` must not log in to the bastion as deploy).
  const hop = options.viaGateway === false;
  const user = spec.user ?? (hop ? undefined : envUser);
  const port = spec.port ?? (hop ? undefined : envPort);
  const resolved = config
    ? resolveSshHost(config, spec.host, {
        ...(user ? { user } : {}),
        ...(port ? { port } : {}),
        ...(hop && envUser ? { defaultUser: envUser } : {}),
        ...(hop && envPort ? { defaultPort: envPort } : {}),
        localUser,
        // fabts reads ~ as $HOME everywhere (ssh uses the password database for some paths): one home, also in tests.
        home: homedir(),
      })
    : undefined;

  const keyFiles = (env.keyFilename as string[] | string | undefined) ?? [];
  const identityFiles = (Array.isArray(keyFiles) ? keyFiles : [keyFiles]).map(expandHome);
  const configIdentityFiles = resolved?.identityFiles ?? [];
  const configAgent = agentSocket(resolved?.identityAgent);
  const agent = env.noAgent ? undefined : configAgent;
  const forwardSocket = resolved?.forwardAgentSocket;

  const gateway = (env.gateway as string | undefined) || undefined;
  let jump: ConnectTarget | undefined;
  let proxyCommand: string | undefined;
  if (gateway && options.viaGateway !== false && gateway !== text) {
    jump = await resolveTarget(gateway, { viaGateway: false, seen });
  } else if (resolved?.proxyJump?.length) {
    for (const [index, hop] of resolved.proxyJump.entries()) {
      const hopTarget: ConnectTarget = await resolveTarget(hop, { viaGateway: false, seen: new Set(seen) });
      // Later hops go through the earlier ones: a,b means a, then b through a.
      jump = index === 0 ? hopTarget : { ...hopTarget, jump, key: `${hopTarget.key.split(' via ')[0]} via ${jump!.key}` };
    }
  } else if (resolved?.proxyCommand) {
    proxyCommand = resolved.proxyCommand;
  }

  const hostname = resolved?.hostname ?? spec.host;
  const finalPort = port ?? resolved?.port ?? envPort ?? 22;
  const finalUser = user ?? resolved?.user ?? envUser ?? localUser;
  if (!finalUser) {
    throw new UsageError(`${text}: no user to log in as (this uid has no passwd entry and $USER is unset): give one with -u, user@host or ssh_config User`);
  }
  const timeout = configuredValue<number>('timeout') ?? resolved?.connectTimeout ?? (env.timeout as number | undefined) ?? 10;
  const keepalive = configuredValue<number>('keepalive') ?? resolved?.serverAliveInterval ?? (env.keepalive as number | undefined) ?? 0;
  const key = `${formatHostString({ user: finalUser, host: hostname, port: finalPort })}${jump ? ` via ${jump.key}` : ''}${proxyCommand ? ` via [${proxyCommand}]` : ''}`;
  const knownHostsFile = configuredValue<string>('knownHostsFile');
  return {
    key,
    label: text,
    hostname,
    port: finalPort,
    user: finalUser,
    identityFiles,
    configIdentityFiles,
    identitiesOnly: resolved?.identitiesOnly ?? false,
    hostKeyName: resolved?.hostKeyAlias ?? hostname,
    hostKeyPort: resolved?.hostKeyAlias ? 22 : finalPort,
    agent,
    // -a only keeps the agent out of authentication; what -A forwards is still there.
    forwardAgentSocket: forwardSocket === undefined ? configAgent : agentSocket(forwardSocket),
    useDefaultIdentities: !env.noKeys && (resolved?.useDefaultIdentityFiles ?? true) && !(resolved?.identitiesOnly && identityFiles.length + configIdentityFiles.length > 0),
    jump,
    proxyCommand,
    connectTimeout: timeout,
    keepaliveInterval: keepalive,
    keepaliveCountMax: resolved?.serverAliveCountMax ?? 3,
    connectionAttempts: configuredValue<number>('connectionAttempts') ?? resolved?.connectionAttempts ?? 1,
    hostKeyPolicy: configuredValue<HostKeyPolicy>('hostKeyPolicy') ?? policyFrom(resolved?.strictHostKeyChecking) ?? (env.hostKeyPolicy as HostKeyPolicy | undefined) ?? 'accept-new',
    knownHostsFiles: knownHostsFile ? [expandHome(knownHostsFile)] : (resolved?.userKnownHostsFiles ?? [`${homedir()}/.ssh/known_hosts`]),
    globalKnownHostsFiles: resolved?.globalKnownHostsFiles ?? [...GLOBAL_KNOWN_HOSTS_FILES],
    forwardAgent: Boolean(configuredValue<boolean>('forwardAgent') ?? resolved?.forwardAgent ?? false),
    compression: resolved?.compression ?? false,
    passwordKeys: [text, formatHostString({ user: finalUser, host: spec.host, port: finalPort }), spec.host],
  };
}
