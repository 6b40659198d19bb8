import type { Scope } from '../env/context.ts';
import { quote } from './quote.ts';

/** Quotes a path for the shell while letting a leading `~` or `~user` expand. */
export function quotePath(path: string): string {
  const tilde = /^~([A-Za-z0-9_.-]*)(\/.*)?$/.exec(path);
  if (!tilde) return quote(path);
  const [, user = '', rest] = tilde;
  const home = user ? `~${user}` : '"$HOME"';
  return rest ? `${home}${quote(rest)}` : home;
}

function pathExport(scope: Scope): string | undefined {
  if (scope.paths.length === 0) return undefined;
  let value = '"$PATH"';
  for (const { dir, behavior } of scope.paths) {
    if (behavior === 'replace') value = quote(dir);
    else if (behavior === 'append') value = `${value}:${quote(dir)}`;
    else value = `${quote(dir)}:${value}`;
  }
  return `PATH=${value}`;
}

/**
 * The command as the shell will run it: exported variables, `cd` into the scope's directory,
 * the prefixes, then the command. Every user value is quoted, so it reaches the shell as data.
 */
export function composeCommand(command: string, scope: Scope, options: { cwd?: string; env?: Record<string, string> } = {}): string {
  const vars = { ...scope.shellEnv, ...options.env };
  const exports = Object.entries(vars).map(([key, value]) => `${key}=${quote(value)}`);
  const pathVar = pathExport(scope);
  if (pathVar) exports.push(pathVar);
  let line = [...scope.prefixes, command].join(' && ');
  if (options.cwd !== undefined) line = `cd ${quotePath(options.cwd)} && ${line}`;
  if (exports.length > 0) line = `export ${exports.join(' ')}; ${line}`;
  return line;
}
