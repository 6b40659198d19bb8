import { AsyncLocalStorage } from 'node:async_hooks';
import type { OutputLevel } from '../report/events.ts';
import type { Responder } from '../ops/command/responders.ts';
import type { SudoPasswordState } from '../ops/sudo/sudo-password.ts';
import type { EventBus } from '../report/events.ts';
import type { ConnectionMap } from '../ssh/pool.ts';
import type { ConnectTarget } from '../ssh/target.ts';

/** Where `path()` puts its directory relative to the remote $PATH. */
export type PathBehavior = 'append' | 'prepend' | 'replace';

/**
 * The settings a scope (`cd`, `settings`, `hide` ...) layers over the run. Immutable: each scope makes a
 * new one from its parent, so leaving a callback — normally or by a throw — restores the parent as it was.
 */
export interface Scope {
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly cwd: string | undefined;
  readonly lcwd: string | undefined;
  readonly prefixes: readonly string[];
  readonly shellEnv: Readonly<Record<string, string>>;
  readonly paths: readonly { dir: string; behavior: PathBehavior }[];
  /** Output levels switched by hide()/show()/quiet(): true = hidden, false = shown. */
  readonly levels: Readonly<Partial<Record<OutputLevel, boolean>>>;
  readonly responders: readonly Responder[];
}

export const ROOT_SCOPE: Scope = Object.freeze({
  overrides: {},
  cwd: undefined,
  lcwd: undefined,
  prefixes: [],
  shellEnv: {},
  paths: [],
  levels: {},
  responders: [],
});

/** The host a task is running on, as the user named it and as it resolved. */
export interface CurrentHost {
  /** The host string as given (`web1`, `deploy@web1:2222`): the key for results, logs and the pool. */
  text: string;
  host: string;
  user: string | undefined;
  port: number | undefined;
}

/** The batch a host runs in (a rolling task), as tasks see it in `env.batch`. */
export interface BatchInfo {
  /** 1-based. */
  readonly number: number;
  readonly of: number;
  readonly hosts: readonly string[];
  /** The task and invocation the batch belongs to (what runsOncePerBatch keys on). */
  readonly task: string;
  readonly invocation: number;
}

/** What is current inside a running task: its host, that host's own env writes, and the scope stack. */
export interface TaskContext {
  readonly host: CurrentHost | undefined;
  readonly hostEnv: Record<string, unknown> | undefined;
  readonly scope: Scope;
  readonly task: string | undefined;
  /** Which run of the task this is (see the task-plan event), so reporters attribute events to the right lane. */
  readonly invocation?: number;
  /** The batch of the rolling task this host runs in (also inside tasks it execute()s). */
  readonly batch?: BatchInfo;
  /**
   * Set by a library Connection (src/api): its pool, its own resolved targets (its options differ from the
   * process env, so resolutions are not shared), its event bus and what it learned about sudo passwords. Absent under `fab`: the process-wide ones.
   */
  readonly pool?: ConnectionMap;
  readonly targets?: Map<string, Promise<ConnectTarget>>;
  readonly events?: EventBus;
  readonly sudoPasswords?: SudoPasswordState;
}

const storage = new AsyncLocalStorage<TaskContext>();

export function currentContext(): TaskContext | undefined {
  return storage.getStore();
}

export function currentScope(): Scope {
  return storage.getStore()?.scope ?? ROOT_SCOPE;
}

export function currentHost(): CurrentHost | undefined {
  return storage.getStore()?.host;
}

export function runInContext<T>(context: TaskContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Runs fn with the current scope replaced by `change(scope)`. */
export function withScope<T>(change: (scope: Scope) => Scope, fn: () => T): T {
  const context = storage.getStore() ?? { host: undefined, hostEnv: undefined, scope: ROOT_SCOPE, task: undefined };
  return storage.run({ ...context, scope: Object.freeze(change(context.scope)) }, fn);
}
