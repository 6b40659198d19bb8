import { currentScope } from '../env/context.ts';
import { env } from '../env/env.ts';
import { composeCommand, wrapInShell } from './compose.ts';
import { executeCommand, type CommandOptions } from './command.ts';
import { commandArguments, commandSettings } from './options.ts';
import { shellTemplate } from './quote.ts';
import { requireHost, startRemote } from './remote.ts';
import { connectionFor } from '../ssh/pool.ts';
import type { Result } from './result.ts';

/** The command line sent to sshd: scope (cd, prefix, shellEnv, path) composed, then wrapped in env.shell. */
export function remoteLine(command: string, options: CommandOptions): string {
  const scope = currentScope();
  const cwd = options.cwd ?? scope.cwd;
  const composed = composeCommand(command, scope, { ...(cwd !== undefined ? { cwd } : {}), ...(options.env ? { env: options.env } : {}) });
  return wrapInShell(composed, options.shell ?? (env.shell as string | undefined));
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
    start: () => startRemote(host.text, line, pty, settings.timeout),
    connect: () => connectionFor(host.text),
    ...settings,
  });
}
