import type { Scope } from '../../env/context.ts';
import { UsageError } from '../../errors.ts';
import { quote } from './quote.ts';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Throws unless every key is a name sh can assign. Values are quoted into data; a name cannot be quoted, so one
 * like `X=1;id;Y` would run as code. `where` names the caller in the error (shellEnv, the env option).
 */
export function checkVariableNames(vars: Record<string, unknown>, where: string): void {
  for (const key of Object.keys(vars)) {
    if (!VARIABLE_NAME.test(key)) {
      throw new UsageError(`${where}: ${JSON.stringify(key)} is not a valid variable name; use letters, digits and _, not starting with a digit`, 'BAD_ARGUMENT');
    }
  }
}

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
  if (options.env) checkVariableNames(options.env, 'env option');
  const vars = { ...scope.shellEnv, ...options.env };
  const exports = Object.entries(vars).map(([key, value]) => `${key}=${quote(value)}`);
  const pathVar = pathExport(scope);
  if (pathVar) exports.push(pathVar);
  let line = [...scope.prefixes, command].join(' && ');
  if (options.cwd !== undefined) line = `cd ${quotePath(options.cwd)} && ${line}`;
  if (exports.length > 0) line = `export ${exports.join(' ')}; ${line}`;
  return line;
}
