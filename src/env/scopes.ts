import { posix, resolve } from 'node:path';
import { withScope, type PathBehavior, type Scope } from './context.ts';
import { OUTPUT_LEVELS, type OutputLevel } from '../report/events.ts';
import type { Responder } from '../ops/command/responders.ts';
import { UsageError } from '../errors.ts';
import { checkVariableNames } from '../ops/quoting/compose.ts';

type Body<T> = () => T | Promise<T>;

async function scoped<T>(change: (scope: Scope) => Scope, fn: Body<T>): Promise<T> {
  if (typeof fn !== 'function') throw new UsageError('a scope (cd, settings, hide ...) takes a callback as its last argument', 'BAD_ARGUMENT');
  return withScope(change, () => fn());
}

/** Remote directory for run/sudo/put/get inside fn; nests (`cd('/srv', () => cd('app', ...))` is /srv/app). */
export function cd<T>(dir: string, fn: Body<T>): Promise<T> {
  return scoped((scope) => ({ ...scope, cwd: joinRemote(scope.cwd, dir) }), fn);
}

export function joinRemote(base: string | undefined, dir: string): string {
  if (base === undefined || dir.startsWith('/') || dir.startsWith('~')) return dir;
  return posix.join(base, dir);
}

/** Local directory for local() and the local side of put/get inside fn. */
export function lcd<T>(dir: string, fn: Body<T>): Promise<T> {
  return scoped((scope) => ({ ...scope, lcwd: resolve(scope.lcwd ?? process.cwd(), dir) }), fn);
}

export interface SettingsOverrides {
  responders?: Responder[];
  [key: string]: unknown;
}

/** Any env keys, overridden inside fn only; `responders` add to the scope's responders. */
export function settings<T>(overrides: SettingsOverrides, fn: Body<T>): Promise<T> {
  const { responders, ...rest } = overrides;
  return scoped(
    (scope) => ({
      ...scope,
      overrides: { ...scope.overrides, ...rest },
      responders: responders ? [...scope.responders, ...responders] : scope.responders,
    }),
    fn,
  );
}

/** Fabric 1's level names, with its groups. */
const LEVEL_GROUPS: Record<string, readonly OutputLevel[]> = {
  everything: OUTPUT_LEVELS,
  output: ['stdout', 'stderr'],
  commands: ['running'],
  aborts: ['status'],
  user: ['status'],
};

export function expandLevels(names: readonly string[]): OutputLevel[] {
  const levels: OutputLevel[] = [];
  for (const name of names) {
    const group = LEVEL_GROUPS[name] ?? ((OUTPUT_LEVELS as readonly string[]).includes(name) ? [name as OutputLevel] : undefined);
    if (!group) {
      throw new UsageError(`unknown output level "${name}"; use ${[...OUTPUT_LEVELS, ...Object.keys(LEVEL_GROUPS)].join(', ')}`, 'BAD_ARGUMENT');
    }
    levels.push(...group);
  }
  return levels;
}

function setLevels<T>(hidden: boolean, args: unknown[]): Promise<T> {
  const fn = args.pop() as Body<T>;
  const levels = expandLevels(args as string[]);
  return scoped((scope) => ({ ...scope, levels: { ...scope.levels, ...Object.fromEntries(levels.map((level) => [level, hidden])) } }), fn);
}

/** Hides output levels (running, stdout, stderr, status, warnings, debug; or output, everything) inside fn. */
export function hide<T>(...args: [...levels: string[], fn: Body<T>]): Promise<T> {
  return setLevels(true, args);
}

/** Shows output levels inside fn, also ones hidden by --hide. */
export function show<T>(...args: [...levels: string[], fn: Body<T>]): Promise<T> {
  return setLevels(false, args);
}

/** Hides all output and does not fail on a non-zero exit (Fabric's quiet). */
export function quiet<T>(fn: Body<T>): Promise<T> {
  return hide('everything', () => settings({ warnOnly: true }, fn));
}

/** A failing command warns instead of throwing inside fn. */
export function warnOnly<T>(fn: Body<T>): Promise<T> {
  return settings({ warnOnly: true }, fn);
}

/** Runs `command &&` before every command inside fn. */
export function prefix<T>(command: string, fn: Body<T>): Promise<T> {
  return scoped((scope) => ({ ...scope, prefixes: [...scope.prefixes, command] }), fn);
}

/** Environment variables exported for every command inside fn. */
export function shellEnv<T>(vars: Record<string, string | number>, fn: Body<T>): Promise<T> {
  const values = Object.fromEntries(Object.entries(vars).map(([key, value]) => [key, String(value)]));
  checkVariableNames(values, 'shellEnv');
  return scoped((scope) => ({ ...scope, shellEnv: { ...scope.shellEnv, ...values } }), fn);
}

/** Adds dir to $PATH for commands inside fn: appended (default), prepended, or replacing it. */
export function path<T>(dir: string, behaviorOrFn: PathBehavior | Body<T>, maybeFn?: Body<T>): Promise<T> {
  const behavior = typeof behaviorOrFn === 'function' ? 'append' : behaviorOrFn;
  const fn = typeof behaviorOrFn === 'function' ? behaviorOrFn : maybeFn!;
  if (!['append', 'prepend', 'replace'].includes(behavior)) {
    throw new UsageError(`path: behavior must be append, prepend or replace, not "${behavior}"`, 'BAD_ARGUMENT');
  }
  return scoped((scope) => ({ ...scope, paths: [...scope.paths, { dir, behavior }] }), fn);
}
