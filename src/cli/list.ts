import type { TaskRegistry, RegisteredTask } from '../fabfile/registry.ts';
import { UsageError } from '../errors.ts';
import { closest } from './suggest.ts';

function label(task: RegisteredTask, registry: TaskRegistry): string {
  const aliases = [...registry.aliases].filter(([alias, name]) => name === task.name && alias.includes('.') === task.name.includes('.')).map(([alias]) => alias);
  const notes = [registry.defaultTask === task.name ? 'default' : '', aliases.length ? `aliases: ${aliases.join(', ')}` : ''].filter(Boolean);
  return `${task.description ?? ''}${notes.length ? `${task.description ? '  ' : ''}(${notes.join('; ')})` : ''}`;
}

/** `fab -l`: top-level tasks, then each namespace as a group with its tasks' full dotted names. */
export function formatTaskList(registry: TaskRegistry, fabfile: string): string {
  const tasks = [...registry.tasks.values()];
  if (tasks.length === 0) return `No tasks in ${fabfile}: export a function from it to make one.\n`;
  const width = Math.min(40, Math.max(...tasks.map((task) => task.name.length)) + 2);
  const groups = new Map<string, RegisteredTask[]>();
  for (const task of tasks) {
    const dot = task.name.lastIndexOf('.');
    const group = dot === -1 ? '' : task.name.slice(0, dot);
    groups.set(group, [...(groups.get(group) ?? []), task]);
  }
  const lines = ['Available tasks:', ''];
  const names = [...groups.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)));
  for (const group of names) {
    if (group !== '') lines.push('', `  ${group}:`);
    const indent = group === '' ? '    ' : '    ' + '  '.repeat(group.split('.').length - 1);
    for (const task of groups.get(group)!.sort((a, b) => a.name.localeCompare(b.name))) {
      const text = label(task, registry);
      lines.push(`${indent}${text ? task.name.padEnd(width) + text : task.name}`.trimEnd());
    }
  }
  return lines.join('\n') + '\n';
}

/** `fab -d TASK`: the description and the arguments the task takes. */
export function formatTaskDetails(registry: TaskRegistry, name: string): string {
  const task = findTask(registry, name);
  const lines = [`Task: ${task.name}`, '', `    ${task.description ?? 'No description.'}`, ''];
  lines.push(`    Arguments: ${task.params ?? 'none'}`);
  const { hosts, roles, parallel, runsOnce } = task.options;
  if (hosts?.length) lines.push(`    Hosts: ${hosts.join(', ')}`);
  if (roles?.length) lines.push(`    Roles: ${roles.join(', ')}`);
  if (parallel) lines.push(`    Parallel: ${parallel === true ? 'yes' : `up to ${parallel} at once`}`);
  if (runsOnce) lines.push('    Runs once');
  return lines.join('\n') + '\n';
}

/** The task by name or alias, or a usage error with a suggestion. */
export function findTask(registry: TaskRegistry, name: string): RegisteredTask {
  const task = registry.find(name);
  if (task) return task;
  const suggestion = closest(name, [...registry.names(), ...registry.aliases.keys()]);
  throw new UsageError(`no task named "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; "fab -l" lists the tasks`, 'UNKNOWN_TASK');
}

/** The names of a parameter list as `paramsOf` gives it (`branch = 'main', force`): `branch`, `force`. */
export function argumentNames(params: string | undefined): string[] {
  if (!params) return [];
  const names: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of `${params},`) {
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      const name = /^\s*(?:\.\.\.)?([A-Za-z_$][\w$]*)/.exec(current)?.[1];
      if (name && name !== '_') names.push(name);
      current = '';
    } else current += ch;
  }
  return names;
}

/** Host lists of env.roledefs (a list, or `{ hosts }`); roles defined by functions are left out. */
function plainRoledefs(roledefs: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries((roledefs ?? {}) as Record<string, unknown>)) {
    const hosts = Array.isArray(value) ? value : (value as { hosts?: unknown } | null)?.hosts;
    if (Array.isArray(hosts)) out[name] = hosts.map(String);
  }
  return out;
}

/** `fab -l --json`: the tasks for machines (fab serve's GET /api/tasks), with the fabfile's default targets. */
export function taskListDocument(registry: TaskRegistry, fabfile: string, env: { hosts?: unknown; roles?: unknown; roledefs?: unknown }) {
  const aliasesOf = (name: string) => [...registry.aliases].filter(([, target]) => target === name).map(([alias]) => alias);
  return {
    version: 1,
    fabfile,
    hosts: Array.isArray(env.hosts) ? env.hosts.map(String) : [],
    roles: Array.isArray(env.roles) ? env.roles.map(String) : [],
    roledefs: plainRoledefs(env.roledefs),
    tasks: [...registry.tasks.values()].map((task) => {
      const dot = task.name.lastIndexOf('.');
      return {
        name: task.name,
        namespace: dot === -1 ? null : task.name.slice(0, dot),
        description: task.description ?? null,
        aliases: aliasesOf(task.name),
        params: task.params ?? null,
        args: argumentNames(task.params),
        hosts: task.options.hosts ?? [],
        roles: task.options.roles ?? [],
        excludeHosts: task.options.excludeHosts ?? [],
        parallel: task.options.parallel ?? false,
        runsOnce: Boolean(task.options.runsOnce),
        default: registry.defaultTask === task.name,
      };
    }),
  };
}
