import { randomBytes } from 'node:crypto';
import { env, envStore } from '../env/env.ts';
import { FabError } from '../errors.ts';
import { executeCommand, type CommandOptions } from './command.ts';
import { commandArguments, commandSettings } from './options.ts';
import { quote, shellTemplate } from './quote.ts';
import { requireHost, startRemote } from './remote.ts';
import { connectionFor } from '../ssh/pool.ts';
import { remoteLine } from './run.ts';
import type { Responder } from './responders.ts';
import type { Result } from './result.ts';

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

/** Passwords given for a host during this run (e.g. asked at the terminal), so sudo asks once per host. */
const cachedPasswords = new Map<string, string>();

export function rememberSudoPassword(host: string, password: string): void {
  cachedPasswords.set(host, password);
}

function sudoPrompt(): string {
  const configured = env.sudoPrompt as string | undefined;
  return configured && envStore.origin('sudoPrompt') !== 'defaults' ? configured : `[sudo] fabts password (${RUN_TOKEN}):`;
}

function passwordFor(hostText: string, options: SudoOptions): string | undefined {
  const passwords = (env.passwords as Record<string, string> | undefined) ?? {};
  return options.password ?? (env.sudoPassword as string | undefined) ?? cachedPasswords.get(hostText) ?? passwords[hostText] ?? (env.password as string | undefined);
}

const WRONG_PASSWORD = /Sorry, try again\.|incorrect password attempt/;

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
  const flags = [`-S -p ${quote(prompt)} -H`, user ? `-u ${quote(user)}` : '', options.group ? `-g ${quote(options.group)}` : ''].filter(Boolean).join(' ');
  // The scope (cd, prefix, exports) runs inside sudo's shell, so it applies as the target user.
  const inner = remoteLine(command, { ...options, shell: '/bin/sh -c' });
  const line = `sudo ${flags} -- ${inner}`;
  const password = passwordFor(host.text, options);
  const promptResponder: Responder = { pattern: new RegExp(prompt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), answer: `${password ?? ''}\n`, secret: true };
  const wrongPassword: Responder = { pattern: WRONG_PASSWORD, fail: true };
  const pty = options.pty ?? Boolean(env.pty);
  const settings = commandSettings(options);
  return executeCommand({
    runner: 'sudo',
    host: host.text,
    command,
    start: () => startRemote(host.text, line, pty),
    connect: () => connectionFor(host.text),
    ...settings,
    responders: [promptResponder, wrongPassword, ...settings.responders],
    hiddenText: prompt,
    onResponderMatch: ({ responder, count }) => {
      if (responder === wrongPassword || (responder === promptResponder && count > 1)) {
        return new FabError('SUDO_PASSWORD', `sudo on ${host.text} refused the password (wrong sudo password); check env.sudoPassword or the password given`, { host: host.text });
      }
      if (responder === promptResponder && password === undefined) {
        return new FabError('SUDO_PASSWORD', `sudo on ${host.text} asked for a password and none is set; set env.sudoPassword (in the fabfile or a config file) or env.password`, { host: host.text });
      }
      return undefined;
    },
  });
}
