import { randomBytes } from 'node:crypto';
import { env, envStore } from '../../env/env.ts';
import { FabError } from '../../errors.ts';
import { executeCommand, type CommandOptions } from '../command/command.ts';
import { commandArguments, commandSettings } from '../command/options.ts';
import { shellTemplate } from '../quoting/quote.ts';
import { portableCommand } from '../quoting/login-shell.ts';
import { composeCommand } from '../quoting/compose.ts';
import { currentScope } from '../../env/context.ts';
import { requireHost, startRemote } from '../command/remote.ts';
import { connectionFor } from '../../ssh/pool.ts';
import { scopeOptions } from '../command/run.ts';
import type { Responder } from '../command/responders.ts';
import { refuseSudoPassword, sudoPasswordFor, type SudoPassword } from './sudo-password.ts';
import type { Result } from '../command/result.ts';

export interface SudoOptions extends CommandOptions {
  /** Run as this user (sudo -u); default env.sudoUser, else root. */
  user?: string;
  /** Run with this group (sudo -g). */
  group?: string;
  /** The sudo password for this call; default env.sudoPassword, then the login password. */
  password?: string;
}

/** A prompt no command prints by accident: answering it is safe. */
const RUN_TOKEN = randomBytes(4).toString('hex');

/**
 * sudo's prompt as it prints it, and as written in its argv. sudo prints `%%` as `%`, so the argv form
 * never looks like the prompt: a command that lists processes (ps) under sudo is not taken for sudo
 * asking again (which would read as a wrong password).
 */
function sudoPrompt(): { shown: string; argument: string } {
  const configured = env.sudoPrompt as string | undefined;
  const shown = configured && envStore.origin('sudoPrompt') !== 'defaults' ? configured : `[sudo] fabts password (${RUN_TOKEN.slice(0, 4)}%${RUN_TOKEN.slice(4)}):`;
  return { shown, argument: shown.replace(/%/g, '%%') };
}

const WRONG_PASSWORD = /Sorry, try again\.|incorrect password attempt/;
/** sudo's refusal under `Defaults requiretty` (older RHEL/CentOS): only a pty helps. */
const NEEDS_TTY = /you must have a tty to run sudo/;

/**
 * Runs a command through `sudo -S` on the current host. The password is written to the command's
 * stdin only when sudo's prompt appears: never in argv, env, logs or errors. A wrong password fails
 * at once with a clear error instead of hanging.
 */
export function sudo(command: string, options?: SudoOptions): Promise<Result>;
export function sudo(strings: TemplateStringsArray, ...values: unknown[]): Promise<Result>;
export async function sudo(first: string | TemplateStringsArray, ...rest: unknown[]): Promise<Result> {
  const { command, options } = commandArguments<SudoOptions>(first, rest, shellTemplate);
  const host = requireHost('sudo');
  const prompt = sudoPrompt();
  const user = options.user ?? (env.sudoUser as string | undefined);
  const flags = ['-S', '-p', prompt.argument, '-H', ...(user ? ['-u', user] : []), ...(options.group ? ['-g', options.group] : [])];
  // The scope (cd, prefix, exports) runs inside sudo's shell, so it applies as the target user.
  const composed = composeCommand(command, currentScope(), scopeOptions(options));
  const line = portableCommand(['sudo', ...flags, '--', '/bin/sh', '-c', composed]);
  let sent: SudoPassword | undefined;
  const promptResponder: Responder = {
    pattern: new RegExp(prompt.shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    secret: true,
    // Looked up (or asked at the terminal) only when sudo really asks.
    answer: async () => {
      sent = await sudoPasswordFor(host.text, options.password);
      return `${sent.value}\n`;
    },
  };
  const wrongPassword: Responder = { pattern: WRONG_PASSWORD, fail: true };
  const needsTty: Responder = { pattern: NEEDS_TTY, fail: true };
  const pty = options.pty ?? Boolean(env.pty);
  const settings = commandSettings(options);
  return executeCommand({
    runner: 'sudo',
    host: host.text,
    command,
    start: (signal) => startRemote(host.text, line, pty, settings.timeout, signal),
    connect: () => connectionFor(host.text),
    ...settings,
    responders: [promptResponder, wrongPassword, needsTty, ...settings.responders],
    hiddenText: prompt.shown,
    pty,
    onResponderMatch: ({ responder, count }) => {
      if (responder === needsTty) {
        return new FabError('COMMAND_FAILED', `sudo on ${host.text} refused to run without a terminal: set pty: true (the host's sudoers has requiretty)`, { host: host.text });
      }
      if (responder === wrongPassword || (responder === promptResponder && count > 1)) {
        if (sent) refuseSudoPassword(sent.value);
        const from = sent ? ` from ${sent.source}` : '';
        return new FabError('SUDO_PASSWORD', `sudo on ${host.text} refused the password${from} (wrong sudo password); it is not sent again in this run`, { host: host.text });
      }
      return undefined;
    },
  });
}
