import { taskOptions, taskSource, type TaskOptions } from './tasks.ts';
import type { TaskArgs } from './args.ts';

/** A task as the registry knows it: its full dotted name, options, and the function to call. */
export interface RegisteredTask {
  name: string;
  options: TaskOptions;
  description: string | undefined;
  fn: (args: TaskArgs) => unknown;
  /** The parameters as written (`{ branch = 'main' }`), for `fab -d`. */
  params: string | undefined;
}

/** Tasks by name (aliases included), plus the namespace tree for `fab -l`. */
export class TaskRegistry {
  readonly tasks = new Map<string, RegisteredTask>();
  readonly aliases = new Map<string, string>();
  defaultTask: string | undefined;

  add(task: RegisteredTask): void {
    this.tasks.set(task.name, task);
  }

  find(name: string): RegisteredTask | undefined {
    // Aliases include a namespace's name for its default task (`fab db` runs db's default).
    return this.tasks.get(name) ?? this.tasks.get(this.aliases.get(name) ?? '');
  }

  names(): string[] {
    return [...this.tasks.keys()];
  }
}

/** Puts a space after each top-level comma and around each top-level `=` (transpiled code has none). */
function tidyParams(text: string): string {
  let depth = 0;
  let out = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      out += ch;
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (depth === 0 && ch === ',') out += ', ';
    else if (depth === 0 && ch === '=') out += ' = ';
    else out += ch;
  }
  return out.replace(/\s+/g, ' ').replace(/ ?, ?/g, ', ').replace(/ ?= ?/g, ' = ').trim();
}

/** The parameter list of a function as written (`branch = "main", force`), from its source text. */
export function paramsOf(fn: Function): string | undefined {
  const text = Function.prototype.toString.call(fn);
  const match = /^[^(]*\(([\s\S]*?)\)\s*(?:=>|\{)/.exec(text);
  const params = match?.[1]?.trim();
  if (!params) return undefined;
  const inner = /^\{([\s\S]*)\}(?:\s*:[\s\S]*)?(?:\s*=\s*\{\s*\})?$/.exec(params)?.[1] ?? params;
  return tidyParams(inner.trim()) || undefined;
}

function isNamespace(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Builds the registry from a fabfile's exports: every exported function is a task, plain objects are
 * namespaces, names starting with `_` are private. `docs` maps names to their leading doc comments.
 */
export function buildRegistry(exports: Record<string, unknown>, docs: Map<string, string>): TaskRegistry {
  const registry = new TaskRegistry();
  const walk = (scope: Record<string, unknown>, prefix: string, seen: Set<unknown>) => {
    if (seen.has(scope)) return;
    seen.add(scope);
    // `export default deploy` beside `export const deploy`: the default is that task, not a second one.
    const defaultTwin = Object.entries(scope).find(([key, value]) => key !== 'default' && value === scope.default)?.[0];
    for (const [key, value] of Object.entries(scope)) {
      if (key.startsWith('_') || (key === 'default' && defaultTwin !== undefined)) continue;
      if (typeof value === 'function') {
        const options = taskOptions(value) ?? {};
        const name = prefix + (options.name ?? key);
        const source = taskSource(value);
        registry.add({
          name,
          options,
          description: options.description ?? docs.get(key) ?? (source.name ? docs.get(source.name) : undefined),
          fn: value as (args: TaskArgs) => unknown,
          params: paramsOf(source),
        });
        for (const alias of options.aliases ?? []) registry.aliases.set(prefix + alias, name);
        const isDefault = options.default || key === 'default' || key === defaultTwin && 'default' in scope;
        if (isDefault && prefix === '') registry.defaultTask ??= name;
        else if (isDefault) registry.aliases.set(prefix.slice(0, -1), name);
      } else if (isNamespace(value)) {
        walk(value, `${prefix}${key}.`, seen);
      }
    }
  };
  walk(exports, '', new Set());
  return registry;
}
