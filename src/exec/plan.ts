import { UsageError } from '../errors.ts';
import type { TaskInvocation } from '../fabfile/args.ts';
import type { TaskOptions } from '../fabfile/tasks.ts';

/** Targets from the command line (-H/-R/-x). */
export interface CliTargets {
  hosts?: string[];
  roles?: string[];
  excludeHosts?: string[];
}

type RoleDef = string[] | { hosts?: string[] };

function expandRoles(roles: readonly string[], roledefs: Record<string, RoleDef> | undefined): string[] {
  const hosts: string[] = [];
  for (const role of roles) {
    const def = roledefs?.[role];
    if (def === undefined) {
      const known = Object.keys(roledefs ?? {});
      throw new UsageError(`role "${role}" is not defined in env.roledefs${known.length ? ` (known: ${known.join(', ')})` : ''}`, 'BAD_ARGUMENT');
    }
    hosts.push(...(Array.isArray(def) ? def : (def.hosts ?? [])));
  }
  return hosts;
}

function dedupe(hosts: string[], exclude: readonly string[]): string[] {
  const excluded = new Set(exclude);
  return [...new Set(hosts)].filter((host) => !excluded.has(host));
}

function pick(hosts: string[] | undefined, roles: string[] | undefined, roledefs: Record<string, RoleDef> | undefined): string[] | undefined {
  if (!hosts?.length && !roles?.length) return undefined;
  return [...(hosts ?? []), ...expandRoles(roles ?? [], roledefs)];
}

/**
 * The hosts one task runs on, highest precedence first (API.md): per-task `task:hosts=...`, then -H/-R,
 * then the task's own hosts/roles, then env.hosts/env.roles. Exclusions from all levels apply;
 * deduplicated with order kept. An empty list means: run once, locally.
 */
export function hostsForTask(
  invocation: TaskInvocation,
  options: TaskOptions,
  cli: CliTargets,
  env: { hosts?: string[]; roles?: string[]; roledefs?: Record<string, RoleDef>; excludeHosts?: string[] },
): string[] {
  const hosts =
    pick(invocation.hosts, invocation.roles, env.roledefs) ??
    pick(cli.hosts, cli.roles, env.roledefs) ??
    pick(options.hosts, options.roles, env.roledefs) ??
    pick(env.hosts, env.roles, env.roledefs) ??
    [];
  return dedupe(hosts, [...(invocation.excludeHosts ?? []), ...(cli.excludeHosts ?? []), ...(options.excludeHosts ?? []), ...(env.excludeHosts ?? [])]);
}

/** How many hosts of a task run at once: 1 (serial), or the pool size. */
export function concurrencyFor(options: TaskOptions, runParallel: boolean, poolSize: number | undefined, hostCount: number): number {
  if (options.serial) return 1;
  if (typeof options.parallel === 'number') return Math.max(1, options.parallel);
  if (options.parallel === true || runParallel) return Math.max(1, Math.min(poolSize ?? hostCount, hostCount));
  return 1;
}
