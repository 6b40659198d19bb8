import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';

/** `fab serve` settings: flags over the config file's `serve` key over these defaults. */
export interface ServeSettings {
  host: string;
  port: number;
  data: string;
  maxRuns: number;
  maxQueue: number;
  keepRuns: number;
  keepDays: number;
  tokenFile: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  insecureHttp: boolean;
  drainTimeoutS: number;
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** `127.0.0.1:8181`, `[::1]:8181`, `:8181` (all addresses), `8181`. */
export function parseListen(text: string): { host: string; port: number } {
  const trimmed = text.trim();
  const match = /^\d+$/.test(trimmed) ? ['', undefined, '127.0.0.1', trimmed] : /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d+)$/.exec(trimmed);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--listen ${text}: write HOST:PORT, e.g. 127.0.0.1:8181 or [::1]:8181`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export function serveSettings(flags: Record<string, unknown>, config: unknown, projectDir: string, cwd: string): ServeSettings {
  const fromConfig = config && typeof config === 'object' ? (config as Record<string, unknown>) : {};
  const value = (flag: string): unknown => flags[flag] ?? flags[camel(flag)] ?? fromConfig[camel(flag)] ?? fromConfig[flag];
  const number = (flag: string, fallback: number, min: number): number => {
    const raw = value(flag);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${flag} needs a number of at least ${min}, not "${String(raw)}"`);
    return n;
  };
  const path = (flag: string): string | undefined => {
    const raw = value(flag);
    return raw === undefined ? undefined : resolve(cwd, String(raw));
  };
  const { host, port } = parseListen(String(value('listen') ?? '127.0.0.1:8181'));
  const settings: ServeSettings = {
    host,
    port,
    data: path('data') ?? join(projectDir, '.fab', 'serve'),
    maxRuns: number('max-runs', 4, 1),
    maxQueue: number('max-queue', 100, 0),
    keepRuns: number('keep-runs', 1000, 1),
    keepDays: number('keep-days', 30, 0),
    tokenFile: path('token-file'),
    tlsCert: path('tls-cert'),
    tlsKey: path('tls-key'),
    insecureHttp: value('insecure-http') === true,
    drainTimeoutS: number('drain-timeout', 600, 0),
  };
  if (Boolean(settings.tlsCert) !== Boolean(settings.tlsKey)) throw new UsageError('give both --tls-cert and --tls-key, or neither');
  if (!isLoopback(host)) {
    if (!settings.tokenFile) throw new UsageError(`listening on ${host} (beyond loopback) needs --token-file FILE: anyone who can reach the port could run tasks`);
    if (!settings.tlsCert && !settings.insecureHttp) {
      throw new UsageError(`listening on ${host} (beyond loopback) needs --tls-cert and --tls-key, or --insecure-http to send tokens in clear`);
    }
  }
  return settings;
}
