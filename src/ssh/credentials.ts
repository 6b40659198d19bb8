import { runLocal } from '../env/context.ts';
import { env } from '../env/env.ts';
import type { ConnectTarget } from './target.ts';

/**
 * Asking the person at the terminal for a secret. The prompt module installs these (with `setSecretPrompts`) when
 * there is someone to ask; each resolves undefined when nobody answers. fabts never stores what they return in env.
 */
export interface SecretPrompts {
  /** The login password for a host, asked when env.passwords and env.password have none for it. */
  password?: (host: string) => Promise<string | undefined>;
  /**
   * The passphrase of an encrypted key file, asked when env.keyPassphrase is unset and the server has accepted the
   * key's public half. Asked once per file for the whole run: parallel connections wait for the same answer, and the
   * unlocked key is kept in memory (src/ssh/auth.ts).
   */
  passphrase?: (file: string, host: string) => Promise<string | undefined>;
  /** StrictHostKeyChecking ask: the question about an unknown host key; its answer, or undefined when no one can answer. */
  hostKey?: (host: string, question: string) => Promise<string | undefined>;
}

/** Per run (env/context.ts): `fab` installs the terminal's; a createRun() run has none, so it never asks. */
const promptsOf = runLocal((): { current: SecretPrompts } => ({ current: {} }));

/** Installs (or, with `{}`, removes) the current run's interactive fallbacks for passwords and key passphrases. */
export function setSecretPrompts(next: SecretPrompts): void {
  promptsOf().current = next;
}

/** A target's login password: env.passwords under one of its names, then env.password, then the prompt. */
export function passwordFor(target: ConnectTarget): () => Promise<string | undefined> {
  return async () => {
    const passwords = (env.passwords as Record<string, string> | undefined) ?? {};
    for (const key of target.passwordKeys) if (passwords[key] !== undefined) return passwords[key];
    return (env.password as string | undefined) ?? promptsOf().current.password?.(target.label);
  };
}

/** The passphrase of an encrypted key file: env.keyPassphrase, then the prompt. */
export function passphraseFor(target: ConnectTarget): (file: string) => Promise<string | undefined> {
  return async (file) => (env.keyPassphrase as string | undefined) ?? promptsOf().current.passphrase?.(file, target.label);
}

/** Asks about an unknown host key at the terminal (StrictHostKeyChecking ask); undefined when no one can answer. */
export function hostKeyQuestion(target: ConnectTarget): (question: string) => Promise<string | undefined> {
  return async (question) => promptsOf().current.hostKey?.(target.label, question);
}
