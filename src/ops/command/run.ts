import { currentScope } from '../../env/context.ts';
import { env } from '../../env/env.ts';
import { DEFAULTS } from '../../config/schema.ts';
import { composeCommand } from '../quoting/compose.ts';
import { portableShellLine } from '../quoting/login-shell.ts';
import { executeCommand, type CommandOptions } from './command.ts';
import { commandArguments, commandSettings } from './options.ts';
import { shellTemplate } from '../quoting/quote.ts';
import { requireHost, startRemote } from './remote.ts';
import { connectionFor } from '../../ssh/pool.ts';
import type { Result } from './result.ts';

// Words of these characters only, single-spaced, the first neither an assignment nor a `~`/`=`/`%`/`@` form: a line
// that sh, bash, zsh, fish and csh all read the same way, as a plain command and its arguments.
const PLAIN_WORDS = /^[A-Za-z0-9_./][A-Za-z0-9_./:+,-]*(?: [A-Za-z0-9_./:@%+,-][A-Za-z0-9_./:@%+,=-]*)*$/;

/** The per-call parts of the scope: the `cwd` option (else cd()'s directory) and the `env` option. */
export function scopeOptions(options: CommandOptions): { cwd?: string; env?: Record<string, string> } {
  const cwd = options.cwd ?? currentScope().cwd;
  return { ...(cwd !== undefined ? { cwd } : {}), ...(options.env ? { env: options.env } : {}) };
}

/**
 * The command line sent to sshd: scope (cd, prefix, shellEnv, path) composed, then wrapped in env.shell so
 * that the user's login shell, whichever it is, hands it to that shell unchanged (login-shell.ts).
 */
export function remoteLine(command: string, options: CommandOptions): string {
  const composed = composeCommand(command, currentScope(), scopeOptions(options));
  const shell = options.shell ?? (env.shell as string | undefined);
  // sshd runs the line with the user's login shell already. For plain words, the default `/bin/sh -c` around it
  // changes nothing but costs a process per command (~1 ms: a third of a command on an open connection).
  if (options.shell === undefined && shell === DEFAULTS.shell && PLAIN_WORDS.test(composed)) return composed;
  return shell ? portableShellLine(shell, composed) : composed;
}

/**
 * Runs a command on the current host over its pooled SSH connection. Returns a Result; a non-zero
 * exit throws CommandError unless warnOnly/okReturnCodes. `` run`ls ${dir}` `` quotes every value.
 */
export function run(command: string, options?: CommandOptions): Promise<Result>;
export function run(strings: TemplateStringsArray, ...values: unknown[]): Promise<Result>;
export async function run(first: string | TemplateStringsArray, ...rest: unknown[]): Promise<Result> {
  const { command, options } = commandArguments<CommandOptions>(first, rest, shellTemplate);
  const host = requireHost('run');
  const pty = options.pty ?? Boolean(env.pty);
  const line = remoteLine(command, options);
  const settings = commandSettings(options);
  return executeCommand({
    runner: 'run',
    host: host.text,
    command,
    start: (signal) => startRemote(host.text, line, pty, settings.timeout, signal),
    pty,
    connect: () => connectionFor(host.text),
    ...settings,
  });
}
