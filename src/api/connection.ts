import { DEFAULTS } from '../config/schema.ts';
import { ROOT_SCOPE, currentContext, runInContext, type TaskContext } from '../env/context.ts';
import { envStore } from '../env/env.ts';
import { FabError } from '../errors.ts';
import { currentHostFor } from '../exec/runner.ts';
import * as files from '../ops/files/files.ts';
import * as forward from '../ops/host/forward.ts';
import { get } from '../ops/transfer/get.ts';
import { put } from '../ops/transfer/put.ts';
import * as fs from '../ops/files/remote-fs.ts';
import { run } from '../ops/command/run.ts';
import { openShell } from '../ops/interactive/shell.ts';
import { SudoPasswordState } from '../ops/sudo/sudo-password.ts';
import { sudo, type SudoOptions } from '../ops/sudo/sudo.ts';
import type { CommandOptions } from '../ops/command/command.ts';
import type { Result } from '../ops/command/result.ts';
import { uploadTemplate } from '../ops/files/template.ts';
import { connectionFor, type PooledConnection } from '../ssh/pool.ts';
import { envFromOptions, type ConnectionOptions } from './options.ts';
import { outputBus } from './output.ts';
import { defaultPool, type Pool } from './pool.ts';

/** The defaults layer `fab` sets up; a program using the library gets the same one (unless fab has set it). */
function ensureDefaults(): void {
  if (envStore.origin('shell') === undefined) envStore.setLayer('defaults', { ...DEFAULTS, hosts: [], roles: [], roledefs: {}, excludeHosts: [] }, 'defaults');
}

/** The pool keys a connection holds: its own and its gateways'. */
function chainKeys(connection: PooledConnection): string[] {
  const keys: string[] = [];
  for (let target: typeof connection.target | undefined = connection.target; target; target = target.jump) keys.push(target.key);
  return keys;
}

type Op<F extends (...args: never[]) => unknown> = (...args: Parameters<F>) => ReturnType<F>;

/**
 * One host, outside any fabfile: every fabfile operation, run in a context of its own built from the options
 * (the same context `fab` gives a task on that host), so it behaves exactly as in a task. Opening is lazy in
 * the operations; open() (or connect()) connects up front and fails early.
 */
export class Connection {
  readonly host: string;
  readonly pool: Pool;
  private readonly context: TaskContext;
  private held: string[] | undefined;
  private closed = false;

  constructor(host: string, options: ConnectionOptions = {}) {
    ensureDefaults();
    this.host = host;
    this.pool = options.pool ?? defaultPool();
    this.context = {
      host: currentHostFor(host),
      hostEnv: envFromOptions(options),
      scope: ROOT_SCOPE,
      task: undefined,
      pool: this.pool.connections,
      targets: new Map(),
      events: outputBus(options),
      sudoPasswords: (options as { sudoPasswords?: SudoPasswordState }).sudoPasswords ?? new SudoPasswordState(),
    };
  }

  /**
   * Runs fn as if it were a task on this host: the fabfile API (`run`, `cd`, `env`, ...) inside it acts here.
   * Scopes opened around the call (`cd('/srv', () => c.run('ls'))`) carry in, as into every method.
   */
  within<T>(fn: () => T | Promise<T>): Promise<T> {
    return this.op(async () => fn());
  }

  private inContext<T>(fn: () => T): T {
    if (this.closed) throw new FabError('USAGE', `the Connection to ${this.host} is closed: connect() again`);
    return runInContext({ ...this.context, scope: currentContext()?.scope ?? ROOT_SCOPE }, fn);
  }

  /** An operation: connected first, so that the pool knows this Connection holds its SSH connection. */
  private async op<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.held) await this.open();
    return this.inContext(fn);
  }

  /** Connects now (through its gateways), so that a bad host or credential fails here. */
  async open(): Promise<this> {
    const connection = await this.inContext(() => connectionFor(this.host));
    if (!this.held) {
      this.held = chainKeys(connection);
      this.pool.retain(this.held);
    }
    return this;
  }

  /** Runs a command on the host (a string, or a template literal whose values are quoted). */
  run(command: string, options?: CommandOptions): Promise<Result>;
  run(strings: TemplateStringsArray, ...values: unknown[]): Promise<Result>;
  run(first: string | TemplateStringsArray, ...rest: unknown[]): Promise<Result> {
    return this.op(() => (run as (first: string | TemplateStringsArray, ...rest: unknown[]) => Promise<Result>)(first, ...rest));
  }
  /** Runs a command as root (or options.user), answering sudo's password prompt from sudoPassword. */
  sudo(command: string, options?: SudoOptions): Promise<Result>;
  sudo(strings: TemplateStringsArray, ...values: unknown[]): Promise<Result>;
  sudo(first: string | TemplateStringsArray, ...rest: unknown[]): Promise<Result> {
    return this.op(() => (sudo as (first: string | TemplateStringsArray, ...rest: unknown[]) => Promise<Result>)(first, ...rest));
  }
  readonly put: Op<typeof put> = (...args) => this.op(() => put(...args));
  readonly get: Op<typeof get> = (...args) => this.op(() => get(...args));
  readonly listdir: Op<typeof fs.listdir> = (...args) => this.op(() => fs.listdir(...args));
  readonly stat: Op<typeof fs.stat> = (...args) => this.op(() => fs.stat(...args));
  readonly exists: Op<typeof fs.exists> = (...args) => this.op(() => fs.exists(...args));
  readonly isDir: Op<typeof fs.isDir> = (...args) => this.op(() => fs.isDir(...args));
  readonly isLink: Op<typeof fs.isLink> = (...args) => this.op(() => fs.isLink(...args));
  readonly mkdir: Op<typeof fs.mkdir> = (...args) => this.op(() => fs.mkdir(...args));
  readonly remove: Op<typeof fs.remove> = (...args) => this.op(() => fs.remove(...args));
  readonly rename: Op<typeof fs.rename> = (...args) => this.op(() => fs.rename(...args));
  readonly writeFile: Op<typeof fs.writeFile> = (...args) => this.op(() => fs.writeFile(...args));
  readFile(path: string): Promise<Buffer>;
  readFile(path: string, encoding: BufferEncoding): Promise<string>;
  readFile(path: string, encoding?: BufferEncoding): Promise<Buffer | string> {
    return this.op<Buffer | string>(() => (encoding ? fs.readFile(path, encoding) : fs.readFile(path)));
  }
  readonly append: Op<typeof files.append> = (...args) => this.op(() => files.append(...args));
  readonly contains: Op<typeof files.contains> = (...args) => this.op(() => files.contains(...args));
  readonly sed: Op<typeof files.sed> = (...args) => this.op(() => files.sed(...args));
  readonly comment: Op<typeof files.comment> = (...args) => this.op(() => files.comment(...args));
  readonly uncomment: Op<typeof files.uncomment> = (...args) => this.op(() => files.uncomment(...args));
  readonly first: Op<typeof files.first> = (...args) => this.op(() => files.first(...args));
  readonly uploadTemplate: Op<typeof uploadTemplate> = (...args) => this.op(() => uploadTemplate(...args));
  /** A local port forwarded to spec.remoteHost:remotePort as seen from the host, open while fn runs. */
  forwardLocal<T>(spec: forward.LocalForward, fn: (info: { localPort: number }) => T | Promise<T>): Promise<T> {
    return this.op(() => forward.forwardLocal(spec, fn));
  }
  /** A port on the host forwarded back to spec.localHost:localPort here, open while fn runs. */
  forwardRemote<T>(spec: forward.RemoteForward, fn: (info: { remotePort: number }) => T | Promise<T>): Promise<T> {
    return this.op(() => forward.forwardRemote(spec, fn));
  }
  /** An interactive shell (or command) on the local terminal; resolves with its exit status. */
  readonly openShell: Op<typeof openShell> = (...args) => this.op(() => openShell(...args));

  /**
   * Lets go of the SSH connection: closed once no other Connection on the pool uses it (nor its gateways).
   * Safe to call twice; operations after it fail.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const held = this.held;
    this.held = undefined;
    if (held) await this.pool.release(held);
  }

  /** `await using c = await connect('web1')` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Opens a Connection to host (a host string: `web1`, `deploy@web1:2222`, an ssh_config alias). */
export function connect(host: string, options?: ConnectionOptions): Promise<Connection> {
  return new Connection(host, options).open();
}
