import { DEFAULTS } from '../config/schema.ts';
import { RunState, runInRun } from '../env/context.ts';
import { envStore } from '../env/env.ts';
import { execute, setExecuteRegistry, type ExecuteTargets } from '../exec/execute.ts';
import type { TaskArgs } from '../fabfile/args.ts';
import { buildRegistry } from '../fabfile/registry.ts';
import type { TaskFunction } from '../fabfile/tasks.ts';
import { interruptRun, isInterrupted } from '../ops/command/abort.ts';
import type { EventListener } from '../report/events.ts';
import { closeAll } from '../ssh/pool.ts';
import { defaultPool } from './pool.ts';

/** What a run starts from. */
export interface RunOptions {
  /**
   * Env values for this run, over fab's defaults: any env key a fabfile or `fab --set` sets (`hosts`, `user`,
   * `parallel`, `sudoPassword`, `warnOnly`, your own keys ...). No config file is read; no other run sees them.
   */
  env?: Record<string, unknown>;
  /**
   * The tasks `execute('name')` finds by name: a fabfile module's exports (`await import('./fabfile.js')`), named
   * as `fab -l` names them (namespaces as `db.migrate`).
   */
  tasks?: Record<string, unknown>;
  /** Called with every event of the run (task start and end, commands, output, connections, the interrupt ...). */
  onEvent?: EventListener;
}

/**
 * A run of tasks in this Node process, as a value: what `fab` does for one command line, callable from any Node
 * program, several at once. A run has its own env, its own per-host env writes and runsOnce results, its own sudo
 * passwords, its own SSH connections, its own interrupt and its own events: two runs never see each other's.
 * The fabfile API used inside its tasks (`run`, `sudo`, `put`, `env`, `execute` ...) acts on this run.
 */
export class Run {
  /** @internal */
  readonly state = new RunState();

  constructor(options: RunOptions = {}) {
    runInRun(this.state, () => {
      envStore.setLayer('defaults', { ...DEFAULTS, hosts: [], roles: [], roledefs: {}, excludeHosts: [] }, 'defaults');
      envStore.setLayer('cli', options.env ?? {}, 'createRun');
      // Writes made from here on (tasks, within()) are the run's own, above what it was given.
      envStore.writeLayer = 'runtime';
      if (options.tasks) setExecuteRegistry(buildRegistry(options.tasks, new Map()));
    });
    if (options.onEvent) this.on(options.onEvent);
  }

  /**
   * Runs a task on its hosts, Fabric's `execute()`: hosts from `targets`, else the task's own, else the run's
   * env.hosts/env.roles; the task's parallel/serial options apply. Resolves to each host's return value
   * (`{ web1: ..., web2: ... }`, `{ '<local-only>': ... }` with no hosts); when a host fails (or the run was
   * interrupted) it rejects with that host's error once the others finished.
   */
  execute<R = unknown>(task: TaskFunction<R> | string, targets: ExecuteTargets = {}, args: Partial<TaskArgs> = {}): Promise<Record<string, R>> {
    return this.within(() => execute(task, targets, args));
  }

  /** Runs fn as code of this run: `env`, `execute`, `run`, `local` ... from 'fabts' inside it act on this run. */
  within<T>(fn: () => T | Promise<T>): Promise<T> {
    return runInRun(this.state, async () => fn());
  }

  /** Listens to the run's events; returns the function that stops listening. */
  on(listener: EventListener): () => void {
    return this.state.events.subscribe(listener);
  }

  /**
   * Interrupts the run, as Ctrl-C does `fab`'s: its running commands are ended (waiting at most graceMs), its
   * transfers in flight undo their half-written files, and no new command or host starts. Other runs go on.
   */
  interrupt(graceMs = 3000): Promise<void> {
    return runInRun(this.state, () => interruptRun(graceMs));
  }

  /** Whether interrupt() was called. */
  get interrupted(): boolean {
    return runInRun(this.state, isInterrupted);
  }

  /** Closes the run's SSH connections (those of its tasks and of the Connections made in it). */
  close(): Promise<void> {
    return runInRun(this.state, async () => {
      await closeAll();
      await defaultPool().close();
    });
  }

  /** `await using run = createRun(...)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A new run (see Run): `const r = createRun({ env: { sudoPassword } }); await r.execute(deploy, { hosts: ['web1'] })`. */
export function createRun(options?: RunOptions): Run {
  return new Run(options);
}
