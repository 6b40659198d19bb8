// node:http, node:https and node:tls are imported when an HTTP gate first runs: every `fab` loads this module, and
// those three cost ~15-20 ms of CPU to load, for the few runs that have an HTTP gate.
import { env } from '../env/env.ts';
import { CommandError, UsageError, describeError } from '../errors.ts';
import { parseHostString } from '../hosts/spec.ts';
import { isInterrupted } from '../ops/command/abort.ts';
import { run } from '../ops/command/run.ts';
import { connectionFor } from '../ssh/pool.ts';

/** What a function gate is given. */
export interface GateInfo {
  host: string;
  batch: { number: number; of: number; hosts: string[] };
}

/** A fabfile's own health check: runs in the host's context (run() works); throwing or returning false fails it. */
export type GateFunction = (info: GateInfo) => unknown;

export interface GateOptions {
  /** A command run on the host: exit 0 passes. */
  command?: string;
  /** A URL fetched through the host's SSH connection (`{host}` is the host's name), as the host sees it. */
  http?: string;
  fn?: GateFunction;
  /** Accepted HTTP statuses (default: any 2xx). */
  status?: number | number[];
  /** Attempts after the first (default env.gateRetries, 5). */
  retries?: number;
  /** Seconds between attempts (default env.gateInterval, 2). */
  interval?: number;
  /** Seconds one attempt may take (default env.gateTimeout, 10). */
  timeout?: number;
}

export type GateSpec = string | GateFunction | GateOptions;

export interface Gate {
  kind: 'command' | 'http' | 'function';
  /** What the gate checks, for output (a URL without its password). */
  label: string;
  command?: string;
  url?: string;
  fn?: GateFunction;
  status?: number[];
  retries: number;
  interval: number;
  timeout: number;
}

export interface GateResult {
  ok: boolean;
  attempts: number;
  /** What the last attempt saw: `HTTP 200`, `exit code 1: ...`. */
  message: string;
}

function number(value: unknown, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
}

function withoutPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, '$1***@');
}

/** The gate a task runs, from its option or the flags (--gate CMD / --gate-http URL win). */
export function resolveGate(spec: GateSpec | undefined, flags: { gate?: string; gateHttp?: string }): Gate | undefined {
  const chosen: GateSpec | undefined = flags.gateHttp !== undefined ? { http: flags.gateHttp } : flags.gate !== undefined ? { command: flags.gate } : spec;
  if (chosen === undefined) return undefined;
  const options: GateOptions = typeof chosen === 'string' ? { command: chosen } : typeof chosen === 'function' ? { fn: chosen } : chosen;
  const common = {
    retries: number(options.retries ?? env.gateRetries, 5),
    interval: number(options.interval ?? env.gateInterval, 2),
    timeout: number(options.timeout ?? env.gateTimeout, 10) || 10,
  };
  const status = options.status ?? (env.gateStatus as number | number[] | undefined);
  if (options.http !== undefined) {
    if (!/^https?:\/\/[^/]/i.test(options.http)) throw new UsageError(`gate: "${options.http}" is not an http:// or https:// URL (e.g. --gate-http 'http://127.0.0.1:8080/health')`, 'BAD_ARGUMENT');
    return { kind: 'http', label: withoutPassword(options.http), url: options.http, ...(status === undefined ? {} : { status: [status].flat().map(Number) }), ...common };
  }
  if (options.command !== undefined) {
    if (!options.command.trim()) throw new UsageError('gate: the command is empty (e.g. --gate "curl -fsS localhost/health")', 'BAD_ARGUMENT');
    return { kind: 'command', label: options.command, command: options.command, ...common };
  }
  if (typeof options.fn === 'function') return { kind: 'function', label: options.fn.name ? `${options.fn.name}()` : 'function', fn: options.fn, ...common };
  throw new UsageError('gate: give a command, { http: URL }, or a function', 'BAD_ARGUMENT');
}

function withTimeout<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Not unref'd: the run is waiting on it, whatever else holds the event loop.
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${seconds}s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One GET through the host's own SSH connection: the host's sshd opens the TCP connection, on its side. */
async function fetchThroughHost(host: string, target: URL, timeoutSeconds: number): Promise<number> {
  const secure = target.protocol === 'https:';
  const port = Number(target.port || (secure ? 443 : 80));
  const hostname = target.hostname.replace(/^\[|\]$/g, '');
  const [http, https, tls] = await Promise.all([import('node:http'), import('node:https'), import('node:tls')]);
  const connection = await connectionFor(host);
  const channel = await connection.forwardOut(hostname, port);
  const socket = secure ? tls.connect({ socket: channel as never, servername: /^[\d.:]+$/.test(hostname) ? undefined : hostname }) : channel;
  return new Promise<number>((resolve, reject) => {
    const request = (secure ? https : http).request(
      { method: 'GET', host: target.hostname, port, path: `${target.pathname}${target.search}`, headers: { host: target.host, connection: 'close' }, createConnection: () => socket as never },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
        response.on('end', () => channel.destroy());
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutSeconds}s`)), timeoutSeconds * 1000);
    timer.unref();
    request.on('error', (error) => {
      channel.destroy();
      reject(error);
    });
    request.on('close', () => clearTimeout(timer));
    request.end();
  });
}

/** What went wrong fetching a gate URL, in words (ssh2 and OpenSSL say it their way). */
function explainFetchError(text: string, url: URL, host: string): string {
  const where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  if (/Channel open failure: Connection refused/i.test(text)) return `${where} refused the connection (as ${host} sees it)`;
  const channel = /Channel open failure: (.*)$/i.exec(text);
  if (channel) return `${host} could not connect to ${where}: ${channel[1]}`;
  const tls = /SSL routines:[^:]*:([^:]+)/.exec(text);
  return tls ? `TLS: ${tls[1]}` : text;
}

async function attempt(gate: Gate, info: GateInfo): Promise<{ ok: boolean; message: string }> {
  try {
    if (gate.kind === 'command') {
      try {
        await run(gate.command!, { hide: true, timeout: gate.timeout });
        return { ok: true, message: 'exit code 0' };
      } catch (error) {
        if (!(error instanceof CommandError)) throw error;
        const said = (error.result.stderr.trim() || error.result.stdout.trim()).split('\n').at(-1) ?? '';
        return { ok: false, message: `exit code ${error.result.code ?? error.result.signal}${said ? `: ${said}` : ''}` };
      }
    }
    if (gate.kind === 'http') {
      const url = new URL(gate.url!.replaceAll('{host}', parseHostString(info.host).host));
      const status = await fetchThroughHost(info.host, url, gate.timeout).catch((error: unknown) => {
        throw new Error(explainFetchError(describeError(error), url, info.host));
      });
      const ok = gate.status ? gate.status.includes(status) : status >= 200 && status < 300;
      return { ok, message: `HTTP ${status}` };
    }
    const value = await withTimeout(Promise.resolve(gate.fn!(info)), gate.timeout, 'the gate function');
    return value === false ? { ok: false, message: 'the gate function returned false' } : { ok: true, message: 'passed' };
  } catch (error) {
    return { ok: false, message: describeError(error) };
  }
}

/**
 * Checks one host: up to 1 + retries attempts, `interval` seconds apart, each bounded by `timeout`;
 * the first passing attempt passes the host. Called in the host's context.
 */
export async function checkGate(gate: Gate, info: GateInfo, onAttempt?: (attempt: number, message: string) => void): Promise<GateResult> {
  let last = { ok: false, message: 'not checked' };
  let attempts = 0;
  for (let index = 0; index <= gate.retries && !isInterrupted(); index++) {
    if (index > 0) await new Promise((resolve) => setTimeout(resolve, gate.interval * 1000));
    if (isInterrupted()) break;
    attempts++;
    last = await attempt(gate, info);
    if (last.ok) break;
    onAttempt?.(attempts, last.message);
  }
  return { ok: last.ok, attempts, message: isInterrupted() && !last.ok ? 'interrupted (Ctrl-C)' : last.message };
}
