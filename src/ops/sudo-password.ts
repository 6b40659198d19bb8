import { env } from '../env/env.ts';
import { ask } from './prompt.ts';

/** A password to answer sudo with, and where it came from (for errors that say what to fix; never the value). */
export interface SudoPassword {
  value: string;
  source: string;
}

interface Typed {
  answer: Promise<string>;
  value?: string;
}

/** Passwords sudo refused during this run: never sent again, whatever their source. */
const refused = new Set<string>();
/** The password typed at the terminal for every host (the default), and per host (env.sudoPasswordPerHost). */
let shared: Typed | undefined;
const perHost = new Map<string, Typed>();
/** --prompt-for-sudo-password's answer: every host's first try, also in per-host mode. */
let upFront: string | undefined;

const TYPED = 'the sudo password typed at the terminal';

export function resetSudoPasswords(): void {
  refused.clear();
  shared = undefined;
  perHost.clear();
  upFront = undefined;
}

/** Asks for the sudo password now (--prompt-for-sudo-password, before any task runs). */
export async function askSudoPasswordUpFront(): Promise<void> {
  upFront = await ask({ host: undefined, text: 'sudo password (for every host):', secret: true, remedy: 'set env.sudoPassword in a config file instead' });
  shared = { answer: Promise.resolve(upFront), value: upFront };
}

function configured(host: string, explicit: string | undefined): SudoPassword[] {
  const passwords = (env.passwords as Record<string, string> | undefined) ?? {};
  const candidates: [unknown, string][] = [
    [explicit, 'the password option of sudo()'],
    [env.sudoPassword, 'env.sudoPassword'],
    [passwords[host], `env.passwords[${JSON.stringify(host)}]`],
    [env.password, 'env.password (the login password)'],
  ];
  return candidates.filter(([value]) => typeof value === 'string').map(([value, source]) => ({ value: value as string, source }));
}

function typed(host: string, perHostMode: boolean, remedy: string): Typed {
  const existing = perHostMode ? perHost.get(host) : shared;
  if (existing) return existing;
  const entry: Typed = {
    answer: ask({
      host,
      text: perHostMode ? `sudo password for ${host}:` : 'sudo password (for every host):',
      secret: true,
      remedy,
    }),
  };
  entry.answer.then(
    (value) => (entry.value = value),
    () => forget(entry),
  );
  if (perHostMode) perHost.set(host, entry);
  else shared = entry;
  return entry;
}

function forget(entry: Typed): void {
  if (shared === entry) shared = undefined;
  for (const [host, value] of perHost) if (value === entry) perHost.delete(host);
}

/**
 * The password to answer sudo's prompt on host with. Configured ones come first (the sudo() option,
 * env.sudoPassword, env.passwords[host], env.password); then the one typed at the terminal: asked once
 * for all hosts (the first host to need it asks, the others wait for that answer), or once per host
 * with env.sudoPasswordPerHost. Passwords sudo has refused in this run are skipped.
 */
export async function sudoPasswordFor(host: string, explicit: string | undefined): Promise<SudoPassword> {
  const candidates = configured(host, explicit);
  const usable = candidates.find((candidate) => !refused.has(candidate.value));
  if (usable) return usable;
  const perHostMode = Boolean(env.sudoPasswordPerHost);
  if (upFront !== undefined && !refused.has(upFront) && (perHostMode ? !perHost.has(host) : true)) {
    return { value: upFront, source: 'the sudo password given with --prompt-for-sudo-password' };
  }
  const refusedEarlier = candidates.find((candidate) => refused.has(candidate.value));
  const remedy = refusedEarlier
    ? `sudo refused the password from ${refusedEarlier.source} earlier in this run; correct it`
    : 'set env.sudoPassword (in a config file), or run with --prompt-for-sudo-password at a terminal';
  const entry = typed(host, perHostMode, remedy);
  const value = await entry.answer;
  if (refused.has(value)) {
    forget(entry);
    return sudoPasswordFor(host, explicit);
  }
  return { value, source: TYPED };
}

/** sudo refused this password: it is not sent again in this run, and a typed one is asked again next time. */
export function refuseSudoPassword(password: string): void {
  refused.add(password);
  for (const entry of [shared, ...perHost.values()]) if (entry?.value === password) forget(entry);
}
