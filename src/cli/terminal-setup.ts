import { envStore } from '../env/env.ts';
import { ask } from '../ops/interactive/prompt.ts';
import { askSudoPasswordUpFront, resetSudoPasswords } from '../ops/sudo/sudo-password.ts';
import { setTerminal, terminalUnavailable } from '../ops/interactive/terminal.ts';
import { setSecretPrompts } from '../ssh/credentials.ts';
import type { CliOptions } from './options.ts';
import type { Io } from './main.ts';

/** A secret asked at the terminal, or undefined when no one can answer (or the question failed). */
function askSecret(host: string, text: string): Promise<string | undefined> {
  if (terminalUnavailable()) return Promise.resolve(undefined);
  return ask({ host, text, secret: true, remedy: '' }).catch(() => undefined);
}

/**
 * Gives the run its terminal (io.stdin for answers, stderr for questions, stdout for shells) and the
 * interactive fallbacks for secrets: a login password no config gives is asked once and offered to
 * every host after (as Fabric does with env.password); a key's passphrase is asked per key file.
 */
export function useTerminal(io: Io): void {
  setTerminal({ input: io.stdin, questions: io.stderr, screen: io.stdout });
  resetSudoPasswords();
  let loginPassword: Promise<string | undefined> | undefined;
  setSecretPrompts({
    password: (host) => {
      loginPassword ??= askSecret(host, 'Login password (for every host):').then((answer) => {
        if (answer === undefined) loginPassword = undefined;
        return answer;
      });
      return loginPassword;
    },
    passphrase: (file, host) => askSecret(host, `passphrase for ${file}:`),
    hostKey: (host, question) => {
      if (terminalUnavailable()) return Promise.resolve(undefined);
      const check = (answer: string) => (/^(yes|no|SHA256:\S+)$/i.test(answer.trim()) ? undefined : "please type 'yes', 'no' or the fingerprint");
      return ask({ host, text: question, check, remedy: '' }).catch(() => undefined);
    },
  });
}

/** -I and --prompt-for-sudo-password: asked once, before anything connects or any task runs. */
export async function askUpFront(options: CliOptions): Promise<void> {
  if (options.promptForPassword) {
    const password = await ask({ host: undefined, text: 'Login password (for every host):', secret: true, remedy: 'set env.password in a config file instead of -I' });
    envStore.set('password', password, 'cli');
  }
  if (options.promptForSudoPassword) await askSudoPasswordUpFront();
}
