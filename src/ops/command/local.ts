import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { currentScope } from '../../env/context.ts';
import { FabError } from '../../errors.ts';
import { composeCommand } from '../quoting/compose.ts';
import { executeCommand, type CommandOptions, type CommandProcess } from './command.ts';
import { commandArguments, commandSettings } from './options.ts';
import { shellTemplate } from '../quoting/quote.ts';
import type { Result } from './result.ts';

/** How long a local process group gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;

function startLocal(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<CommandProcess> {
  // A process group of its own, so a timeout or Ctrl-C ends the whole pipeline, not just the shell.
  const child = spawn('/bin/sh', ['-c', command], { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new FabError('COMMAND_FAILED', `could not start a local shell in ${cwd}: ${error.code ?? error.message}`, { cause: error })),
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  child.stdin.on('error', () => {}); // the command may exit without reading its input
  let killTimer: NodeJS.Timeout | undefined;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  exit.finally(() => killTimer && clearTimeout(killTimer)).catch(() => {});
  return once(child, 'spawn').then(
    () => ({
      stdout: child.stdout,
      stderr: child.stderr,
      write: (data) => child.stdin.write(data),
      endInput: () => child.stdin.end(),
      exit,
      terminate: () => {
        signalGroup('SIGTERM');
        killTimer ??= setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
        killTimer.unref();
      },
    }),
    () => exit.then(() => {
      throw new FabError('COMMAND_FAILED', `could not start a local shell in ${cwd}`);
    }),
  );
}

/**
 * Runs a command on this machine through /bin/sh: output streams live and is captured in the Result.
 * `` local`tar czf ${name} ${files}` `` quotes every value.
 */
export function local(command: string, options?: CommandOptions): Promise<Result>;
export function local(strings: TemplateStringsArray, ...values: unknown[]): Promise<Result>;
export async function local(first: string | TemplateStringsArray, ...rest: unknown[]): Promise<Result> {
  const { command, options } = commandArguments<CommandOptions>(first, rest, shellTemplate);
  const scope = currentScope();
  const cwd = options.cwd ?? scope.lcwd ?? process.cwd();
  const line = composeCommand(command, scope, options.env ? { env: options.env } : {});
  return executeCommand({
    runner: 'local',
    host: 'localhost',
    command,
    start: () => startLocal(line, cwd, process.env),
    ...commandSettings(options),
  });
}
