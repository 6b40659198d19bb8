import { UsageError } from '../errors.ts';

/** Arguments a task receives: positional ones in `_`, the rest by name (Fabric 1: `fab deploy:dev,force=yes`). */
export interface TaskArgs {
  _: string[];
  [name: string]: string | string[] | undefined;
}

/** One task named on the command line, with its arguments and per-task targets. */
export interface TaskInvocation {
  name: string;
  args: TaskArgs;
  hosts?: string[];
  roles?: string[];
  excludeHosts?: string[];
}

/** Splits on an unescaped separator, turning `\x` into `x` for the escaped ones. */
export function splitEscaped(text: string, separator: string, limit = Infinity): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[i + 1]!;
      // Keep the backslash for escapes that a later split still needs to see.
      current += next === separator ? next : ch + next;
      i++;
    } else if (ch === separator && parts.length < limit - 1) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** Only the separators and the backslash itself are escapes; `C:\\dir` keeps its backslash. */
function unescape(text: string): string {
  return text.replace(/\\([,=:;\\])/g, '$1');
}

/** `a;b` of a per-task hosts=/roles=/exclude_hosts=; an empty name would silently retarget the task (to local). */
function hostList(value: string, key: string, text: string): string[] {
  const items = value.split(';').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new UsageError(`${key}= in "${text}" holds an empty name; give names separated by ";", e.g. ${key}=web1;web2`, 'BAD_ARGUMENT');
  }
  return items;
}

/** Parses `name:arg,key=value,hosts=a;b` into a TaskInvocation. */
export function parseTaskInvocation(text: string): TaskInvocation {
  const [rawName = '', rawArgs] = splitEscaped(text, ':', 2);
  const name = unescape(rawName).trim();
  if (!name) throw new UsageError(`"${text}" names no task; write it as task or task:arg,key=value`, 'BAD_ARGUMENT');
  const invocation: TaskInvocation = { name, args: { _: [] } };
  if (rawArgs === undefined || rawArgs === '') return invocation;
  for (const item of splitEscaped(rawArgs, ',')) {
    const pieces = splitEscaped(item, '=', 2);
    if (pieces.length === 1) {
      invocation.args._.push(unescape(pieces[0]!));
      continue;
    }
    const key = unescape(pieces[0]!).trim();
    const value = unescape(pieces[1]!);
    if (!key) throw new UsageError(`task argument "${item}" in "${text}" has no name before "="`, 'BAD_ARGUMENT');
    switch (key) {
      case 'host':
      case 'hosts':
        invocation.hosts = [...(invocation.hosts ?? []), ...hostList(value, key, text)];
        break;
      case 'role':
      case 'roles':
        invocation.roles = [...(invocation.roles ?? []), ...hostList(value, key, text)];
        break;
      case 'exclude_hosts':
      case 'excludeHosts':
        invocation.excludeHosts = [...(invocation.excludeHosts ?? []), ...hostList(value, key, text)];
        break;
      default:
        if (key === '_') throw new UsageError(`task argument name "_" is reserved (in "${text}")`, 'BAD_ARGUMENT');
        invocation.args[key] = value;
    }
  }
  return invocation;
}
