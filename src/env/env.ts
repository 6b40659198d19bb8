import { inspect } from 'node:util';
import { currentContext, runLocal } from './context.ts';

/**
 * The layers of env, lowest precedence first (API.md): defaults < user config < project config < `-c FILE`
 * < fabfile top-level assignments < command-line flags and --set < writes made while tasks run.
 */
export const LAYER_ORDER = ['defaults', 'user', 'project', 'file', 'fabfile', 'cli', 'runtime'] as const;
export type LayerName = (typeof LAYER_ORDER)[number];

interface Layer {
  source: string;
  values: Record<string, unknown>;
}

/** Keys whose values never appear in printed env, logs or JSON. */
export const SECRET_KEYS = new Set(['password', 'passwords', 'sudoPassword', 'keyPassphrase', 'passphrase']);

/** Remembers which layer set each value, so `--print-config`-style debugging can say where a value came from. */
export class EnvStore {
  private readonly layers = new Map<LayerName, Layer>();
  /** Where top-level `env.x = ...` writes go: 'fabfile' while it loads, 'runtime' once tasks run. */
  writeLayer: LayerName = 'fabfile';

  setLayer(name: LayerName, values: Record<string, unknown>, source: string = name): void {
    this.layers.set(name, { source, values: { ...values } });
  }

  private layer(name: LayerName): Layer {
    let layer = this.layers.get(name);
    if (!layer) {
      layer = { source: name, values: {} };
      this.layers.set(name, layer);
    }
    return layer;
  }

  get(key: string): unknown {
    for (let i = LAYER_ORDER.length - 1; i >= 0; i--) {
      const layer = this.layers.get(LAYER_ORDER[i]!);
      if (layer && Object.hasOwn(layer.values, key)) return layer.values[key];
    }
    return undefined;
  }

  has(key: string): boolean {
    return LAYER_ORDER.some((name) => {
      const layer = this.layers.get(name);
      return layer !== undefined && Object.hasOwn(layer.values, key);
    });
  }

  set(key: string, value: unknown, layer: LayerName = this.writeLayer): void {
    this.layer(layer).values[key] = value;
  }

  delete(key: string, layer: LayerName = this.writeLayer): void {
    delete this.layer(layer).values[key];
  }

  /** The source (file path or layer name) of the value in force for key. */
  origin(key: string): string | undefined {
    for (let i = LAYER_ORDER.length - 1; i >= 0; i--) {
      const layer = this.layers.get(LAYER_ORDER[i]!);
      if (layer && Object.hasOwn(layer.values, key)) return layer.source;
    }
    return undefined;
  }

  keys(): string[] {
    const keys = new Set<string>();
    for (const name of LAYER_ORDER) for (const key of Object.keys(this.layers.get(name)?.values ?? {})) keys.add(key);
    return [...keys];
  }

  snapshot(): Record<string, unknown> {
    return Object.fromEntries(this.keys().map((key) => [key, this.get(key)]));
  }

  reset(): void {
    this.layers.clear();
    this.writeLayer = 'fabfile';
  }
}

const layersOf = runLocal(() => new EnvStore());

/**
 * The env layers of the run code runs in (env/context.ts): `fab`'s, or a createRun()'s. Each run has its own, so
 * one run's config, flags and top-level writes never reach another.
 */
export const envStore: EnvStore = new Proxy({} as EnvStore, {
  get(_target, key) {
    const store = layersOf();
    const value: unknown = Reflect.get(store, key, store);
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(store) : value;
  },
  set(_target, key, value) {
    return Reflect.set(layersOf(), key, value);
  },
});

/** Reads env as seen from here: scope overrides, then the current host, then the layers. */
function read(key: string): unknown {
  const context = currentContext();
  if (context) {
    const { scope, host, hostEnv } = context;
    if (Object.hasOwn(scope.overrides, key)) return scope.overrides[key];
    if (hostEnv && Object.hasOwn(hostEnv, key)) return hostEnv[key];
    switch (key) {
      case 'cwd':
        return scope.cwd;
      case 'lcwd':
        return scope.lcwd;
      case 'batch':
        if (context.batch) return { number: context.batch.number, of: context.batch.of, hosts: [...context.batch.hosts] };
    }
    if (host) {
      switch (key) {
        case 'host':
          return host.host;
        case 'hostString':
          return host.text;
        case 'user':
          return host.user ?? layersOf().get('user');
        case 'port':
          return host.port ?? layersOf().get('port');
      }
    }
  }
  return layersOf().get(key);
}

/**
 * A value someone set (a scope, this host's env writes, config files, the fabfile or a flag), never a
 * built-in default and never derived from the host string: what may override ssh_config.
 */
export function configuredValue<T>(key: string): T | undefined {
  const context = currentContext();
  if (context && Object.hasOwn(context.scope.overrides, key)) return context.scope.overrides[key] as T;
  if (context?.hostEnv && Object.hasOwn(context.hostEnv, key)) return context.hostEnv[key] as T;
  return layersOf().origin(key) === 'defaults' ? undefined : (layersOf().get(key) as T | undefined);
}

function write(key: string, value: unknown): void {
  const hostEnv = currentContext()?.hostEnv;
  if (hostEnv) hostEnv[key] = value;
  else layersOf().set(key, value);
}

export function redact(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, SECRET_KEYS.has(key) && value !== undefined ? '***' : value]));
}

function visibleKeys(): string[] {
  const keys = new Set(layersOf().keys());
  const context = currentContext();
  for (const key of Object.keys(context?.hostEnv ?? {})) keys.add(key);
  for (const key of Object.keys(context?.scope.overrides ?? {})) keys.add(key);
  if (context?.host) for (const key of ['host', 'hostString', 'user', 'port']) keys.add(key);
  return [...keys];
}

function view(): Record<string, unknown> {
  return Object.fromEntries(visibleKeys().map((key) => [key, read(key)]));
}

/** Known env keys (API.md); any other key is allowed too. */
export interface Env {
  hosts: string[];
  roles: string[];
  roledefs: Record<string, string[] | { hosts: string[]; [key: string]: unknown }>;
  excludeHosts: string[];
  /** The current host's name inside a task. */
  readonly host: string | undefined;
  /** The current host string as given (`user@host:port`) inside a task. */
  readonly hostString: string | undefined;
  /** The remote directory set by cd(), and the local one set by lcd(). */
  readonly cwd: string | undefined;
  readonly lcwd: string | undefined;
  /** Inside a rolling task (and what it execute()s): its batch, `{ number, of, hosts }`. */
  readonly batch: { number: number; of: number; hosts: string[] } | undefined;
  user: string | undefined;
  port: number | undefined;
  password: string | undefined;
  passwords: Record<string, string>;
  keyFilename: string[];
  keyPassphrase: string | undefined;
  noAgent: boolean;
  noKeys: boolean;
  forwardAgent: boolean;
  gateway: string | undefined;
  useSshConfig: boolean;
  sshConfigPath: string | undefined;
  timeout: number;
  connectionAttempts: number;
  keepalive: number;
  hostKeyPolicy: 'accept-new' | 'strict' | 'off';
  knownHostsFile: string | undefined;
  parallel: boolean;
  poolSize: number | undefined;
  maxStartups: number;
  warnOnly: boolean;
  okReturnCodes: number[];
  shell: string;
  pty: boolean;
  commandTimeout: number | undefined;
  maxListing: number;
  sftpTimeout: number;
  sudoUser: string | undefined;
  sudoPassword: string | undefined;
  sudoPrompt: string;
  /** Ask for the sudo password once per host instead of once for all hosts. */
  sudoPasswordPerHost: boolean;
  skipBadHosts: boolean;
  abortOnPrompts: boolean;
  dryRun: boolean;
  logDir: string | undefined;
  [key: string]: unknown;
}

/**
 * The global env. At the top level of a fabfile, writes set defaults; inside a running task, reads see the
 * current host and scope and writes stay with that host, even when many hosts run at once.
 */
export const env: Env = new Proxy({} as Env, {
  get(_target, key) {
    if (key === inspect.custom) return () => redact(view());
    if (key === 'toJSON') return () => redact(view());
    if (typeof key === 'symbol') return undefined;
    return read(key);
  },
  set(_target, key, value) {
    if (typeof key === 'symbol') return false;
    write(key, value);
    return true;
  },
  deleteProperty(_target, key) {
    if (typeof key === 'symbol') return false;
    const hostEnv = currentContext()?.hostEnv;
    if (hostEnv) delete hostEnv[key];
    else layersOf().delete(key);
    return true;
  },
  has(_target, key) {
    return typeof key === 'string' && read(key) !== undefined;
  },
  ownKeys() {
    return visibleKeys();
  },
  getOwnPropertyDescriptor(_target, key) {
    if (typeof key === 'symbol') return undefined;
    const value = read(key);
    return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: true };
  },
});
