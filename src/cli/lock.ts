import { ExitCode, UsageError, describeError } from '../errors.ts';
import { env } from '../env/env.ts';
import { hostsForTask } from '../exec/plan.ts';
import { newRunIdentity } from '../exec/lock.ts';
import { describeHolder, hostKey, lockDir, lockName, parseHolder, printable, type LockHolder } from '../exec/lock-names.ts';
import { lockScript } from '../exec/lock-remote.ts';
import type { TaskRegistry } from '../fabfile/registry.ts';
import { parseHostString } from '../hosts/spec.ts';
import { closeAll } from '../ssh/pool.ts';
import type { Io } from './io.ts';
import type { CliOptions } from './options.ts';
import { findTask } from './list.ts';

interface Entry {
  host: string;
  /** The lock's name (the entry is `<name>@<host>`). */
  name: string;
  holder: LockHolder | undefined;
  age: number;
  ttl: number;
  stale: boolean;
}

/** Every lock entry for a host, read from its lock directory. */
async function entriesOn(host: string): Promise<Entry[]> {
  const key = hostKey(host);
  const lines = await lockScript(host, 'status', { dir: lockDir(), name: key });
  return lines.flatMap((line) => {
    const [tag, entry, held, age, ttl, ...info] = line.split('\t');
    if (tag !== 'ENTRY' || held !== 'HELD' || !entry?.endsWith(`@${key}`)) return [];
    const seconds = Number(age);
    const limit = Number(ttl);
    return [{ host, name: printable(entry.slice(0, -key.length - 1)), holder: parseHolder(info.join('\t')), age: seconds, ttl: limit, stale: seconds > limit }];
  });
}

function describeEntry(entry: Entry): string {
  const state = entry.stale ? `STALE (no heartbeat for ${entry.age}s, ttl ${entry.ttl}s)` : `held, heartbeat ${entry.age}s ago (ttl ${entry.ttl}s)`;
  return `${entry.host}  ${entry.name}  ${state}: ${describeHolder(entry.holder)}`;
}

/**
 * `fab lock status [TASK]` lists the deploy locks on the hosts (-H/-R, or the task's hosts); `fab lock
 * release [TASK]` removes stale ones (owner gone: no heartbeat within its TTL), `--force` also live ones.
 * Every removal is recorded in the lock directory's audit.log on the host: who, when, whose lock.
 */
export async function lockCommand(options: CliOptions, registry: TaskRegistry, io: Io): Promise<number> {
  const taskName = options.tasks[0];
  const task = taskName === undefined ? undefined : findTask(registry, taskName);
  const cli = { hosts: options.hosts, roles: options.roles, excludeHosts: options.excludeHosts };
  const hosts = hostsForTask({ name: taskName ?? '', args: { _: [] } }, task?.options ?? {}, cli, env as never);
  if (hosts.length === 0) throw new UsageError(`fab lock ${options.lockAction}: name the hosts (-H web1,web2) or a task whose hosts to look at`);
  for (const host of hosts) parseHostString(host);
  const only = task ? lockName(task.options.lock ?? true, task.name) : undefined;
  const who = newRunIdentity().owner;
  let status: number = ExitCode.ok;
  try {
    const found = await Promise.all(
      hosts.map(async (host) => {
        try {
          return (await entriesOn(host)).filter((entry) => only === undefined || entry.name === only);
        } catch (error) {
          io.stderr.write(`fab: [${host}] ${describeError(error)}\n`);
          status = ExitCode.taskFailed;
          return [];
        }
      }),
    );
    const entries = found.flat();
    if (options.lockAction === 'status') {
      io.stdout.write(entries.length ? `${entries.map(describeEntry).join('\n')}\n` : `no ${only ? `${only} ` : ''}locks on ${hosts.join(', ')}\n`);
      return status;
    }
    for (const entry of entries) {
      if (!entry.stale && !options.force) {
        io.stderr.write(`fab: ${describeEntry(entry)}; not stale: ask its owner, or use fab lock release --force\n`);
        status = ExitCode.taskFailed;
        continue;
      }
      const reason = entry.stale ? `${who} (fab lock release: stale, no heartbeat for ${entry.age}s)` : `${who} (fab lock release --force)`;
      const [answer] = await lockScript(entry.host, 'force', { dir: lockDir(), name: `${entry.name}@${hostKey(entry.host)}`, token: reason });
      io.stdout.write(answer === 'RELEASED' ? `released: ${describeEntry(entry)}\n` : `${entry.host}  ${entry.name}: already gone\n`);
    }
    if (entries.length === 0) io.stdout.write(`no ${only ? `${only} ` : ''}locks on ${hosts.join(', ')}\n`);
    return status;
  } finally {
    await closeAll();
  }
}
