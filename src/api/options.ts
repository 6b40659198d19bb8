import type { HostKeyPolicy } from '../ssh/host-key-policy.ts';
import type { OutputOptions } from './output.ts';
import type { Pool } from './pool.ts';

/**
 * How to reach a host: the env keys of a fabfile, typed. Anything left out comes from ssh_config
 * (~/.ssh/config), known_hosts and the agent, read exactly as `fab` reads them; what is given here
 * overrides ssh_config, as `fab -u/-p/-i` do.
 */
export interface ConnectionOptions extends OutputOptions {
  /** Login user (env.user). */
  user?: string;
  /** SSH port (env.port). */
  port?: number;
  /** Private key files to offer (env.keyFilename, `-i`); a missing one is an error. */
  identityFiles?: string | string[];
  /** Passphrase of an encrypted key (env.keyPassphrase). */
  keyPassphrase?: string;
  /** false: do not ask the SSH agent (env.noAgent). Default: the agent of SSH_AUTH_SOCK or ssh_config's IdentityAgent. */
  agent?: boolean;
  /** false: do not offer ~/.ssh/id_* (env.noKeys). */
  defaultKeys?: boolean;
  /** Forward the local agent to the host (env.forwardAgent). */
  forwardAgent?: boolean;
  /** A gateway (bastion) host string every connection goes through (env.gateway); ssh_config's ProxyJump otherwise. */
  gateway?: string;
  /** Path of the ssh_config to read (env.sshConfigPath), or false to read none (env.useSshConfig). */
  sshConfig?: string | false;
  /** What to do with an unknown or changed host key (env.hostKeyPolicy; default 'accept-new', as fab). */
  hostKeyPolicy?: HostKeyPolicy;
  /** known_hosts file (env.knownHostsFile). */
  knownHostsFile?: string;
  /** Seconds to wait for the connection (env.timeout). */
  timeout?: number;
  /** Seconds a command may run, 0 for no limit (env.commandTimeout). */
  commandTimeout?: number;
  /** Seconds between keepalives, 0 for none (env.keepalive). */
  keepalive?: number;
  /** Tries to connect (env.connectionAttempts). */
  connectionAttempts?: number;
  /** Login password (env.password); also sudo's last resort, as in fab. */
  password?: string;
  /** Passwords by host string (env.passwords). */
  passwords?: Record<string, string>;
  /** The password to answer sudo with (env.sudoPassword). */
  sudoPassword?: string;
  /** Any other env key (shell, warnOnly, okReturnCodes, pty, sudoUser, ...), as a fabfile sets it. */
  env?: Record<string, unknown>;
  /** The pool to share SSH connections in; default: the process's (see createPool()). */
  pool?: Pool;
}

/** The env keys and values the options stand for: a Connection's own env layer. */
export function envFromOptions(options: ConnectionOptions): Record<string, unknown> {
  const values: Record<string, unknown> = { ...options.env };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) values[key] = value;
  };
  set('user', options.user);
  set('port', options.port);
  set('keyFilename', typeof options.identityFiles === 'string' ? [options.identityFiles] : options.identityFiles);
  set('keyPassphrase', options.keyPassphrase);
  set('noAgent', options.agent === undefined ? undefined : !options.agent);
  set('noKeys', options.defaultKeys === undefined ? undefined : !options.defaultKeys);
  set('forwardAgent', options.forwardAgent);
  set('gateway', options.gateway);
  if (options.sshConfig === false) values.useSshConfig = false;
  else set('sshConfigPath', options.sshConfig);
  set('hostKeyPolicy', options.hostKeyPolicy);
  set('knownHostsFile', options.knownHostsFile);
  set('timeout', options.timeout);
  set('commandTimeout', options.commandTimeout);
  set('keepalive', options.keepalive);
  set('connectionAttempts', options.connectionAttempts);
  set('password', options.password);
  set('passwords', options.passwords);
  set('sudoPassword', options.sudoPassword);
  return values;
}
