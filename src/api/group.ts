import type { CommandOptions } from '../ops/command/command.ts';
import type { Result } from '../ops/command/result.ts';
import { SudoPasswordState } from '../ops/sudo/sudo-password.ts';
import type { SudoOptions } from '../ops/sudo/sudo.ts';
import { mapLimit } from '../util/map-limit.ts';
import { Connection } from './connection.ts';
import type { ConnectionOptions } from './options.ts';
import { defaultPool } from './pool.ts';

export interface GroupOptions extends ConnectionOptions {
  /** Run on every host at once (bounded by poolSize) instead of one after the other. Default false. */
  parallel?: boolean;
  /** With parallel, how many hosts at a time (default: all). */
  poolSize?: number;
}

/** Per host string, what an operation gave (a Result, a TransferResult, ...) or the error it threw. */
export class GroupResult<T> extends Map<string, T | Error> {
  /** The hosts where it succeeded, with their values. */
  get succeeded(): Map<string, T> {
    return new Map([...this].filter((entry): entry is [string, T] => !(entry[1] instanceof Error)));
  }
  /** The hosts where it failed, with their errors. */
  get failed(): Map<string, Error> {
    return new Map([...this].filter((entry): entry is [string, Error] => entry[1] instanceof Error));
  }
}

/** An operation failed on some hosts: `result` holds every host's outcome, the failed ones and the others. */
export class GroupError<T = unknown> extends Error {
  override name = 'GroupError';
  constructor(readonly result: GroupResult<T>) {
    const failed = [...result.failed].map(([host, error]) => `${host}: ${error.message.split('\n')[0]}`);
    super(`failed on ${failed.length} of ${result.size} hosts: ${failed.join('; ')}`);
  }
}

type Methods = 'run' | 'sudo' | 'put' | 'get' | 'listdir' | 'stat' | 'exists' | 'isDir' | 'isLink' | 'mkdir' | 'remove' | 'rename' | 'writeFile'
  | 'append' | 'contains' | 'sed' | 'comment' | 'uncomment' | 'first' | 'uploadTemplate';
type GroupOp<K extends Methods> = Connection[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<GroupResult<R>> : never;

/**
 * Several hosts, Fabric 2's Group: each operation runs on every host (serially, or in parallel) and resolves
 * with a GroupResult; if any host failed it rejects with a GroupError carrying every host's outcome. Every
 * host runs even when one fails. The hosts share one pool (and so one connection per gateway) and one sudo
 * password state, as the hosts of a `fab` run do.
 */
export class Group {
  readonly connections: Connection[];
  private readonly width: number;

  constructor(hosts: readonly string[], options: GroupOptions = {}) {
    const { parallel, poolSize, ...connection } = options;
    const shared = { ...connection, pool: connection.pool ?? defaultPool(), sudoPasswords: new SudoPasswordState() };
    this.connections = hosts.map((host) => new Connection(host, shared));
    this.width = parallel ? Math.max(1, poolSize ?? hosts.length) : 1;
  }

  /** Runs fn on every host's Connection and gathers the outcomes; rejects with a GroupError if any failed. */
  async each<T>(fn: (connection: Connection) => Promise<T>): Promise<GroupResult<T>> {
    const outcomes = await mapLimit(this.connections, this.width, (connection) => fn(connection).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
    const result = new GroupResult<T>(this.connections.map((connection, index) => [connection.host, outcomes[index]!]));
    if (result.failed.size > 0) throw new GroupError(result);
    return result;
  }

  private method<K extends Methods>(name: K): GroupOp<K> {
    return ((...args: unknown[]) => this.each((connection) => (connection[name] as (...a: unknown[]) => Promise<unknown>)(...args))) as GroupOp<K>;
  }

  /** Connects to every host now; rejects with a GroupError naming the unreachable ones. */
  open(): Promise<GroupResult<Connection>> {
    return this.each((connection) => connection.open());
  }

  // Overloaded on Connection (string or template): the string form is what a Group takes.
  readonly run: (command: string, options?: CommandOptions) => Promise<GroupResult<Result>> = this.method('run') as never;
  readonly sudo: (command: string, options?: SudoOptions) => Promise<GroupResult<Result>> = this.method('sudo') as never;
  readonly put = this.method('put');
  readonly get = this.method('get');
  readonly listdir = this.method('listdir');
  readonly stat = this.method('stat');
  readonly exists = this.method('exists');
  readonly isDir = this.method('isDir');
  readonly isLink = this.method('isLink');
  readonly mkdir = this.method('mkdir');
  readonly remove = this.method('remove');
  readonly rename = this.method('rename');
  readonly writeFile = this.method('writeFile');
  readonly append = this.method('append');
  readonly contains = this.method('contains');
  readonly sed = this.method('sed');
  readonly comment = this.method('comment');
  readonly uncomment = this.method('uncomment');
  readonly first = this.method('first');
  readonly uploadTemplate = this.method('uploadTemplate');

  /** Closes every host's Connection (and the gateway connection once none uses it). */
  async close(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
