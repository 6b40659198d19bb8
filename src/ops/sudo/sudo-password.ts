import { currentContext } from '../../env/context.ts';
import { env } from '../../env/env.ts';
import { ask } from '../interactive/prompt.ts';

/** A password to answer sudo with, and where it came from (for errors that say what to fix; never the value). */
export interface SudoPassword {
  value: string;
  source: string;
}

interface Typed {
  answer: Promise<string>;
  value?: string;
}

/**
 * What a run learned about sudo passwords: the ones sudo refused (never sent again, whatever their source), the
 * one typed at the terminal for every host (the default) or per host (env.sudoPasswordPerHost), and
 * --prompt-for-sudo-password's answer (every host's first try, also in per-host mode). A value, so that each
 * library Connection (or Group) keeps its own through its context; `fab` uses the process-wide one.
 */
export class SudoPasswordState {
  readonly refused = new Set<string>();
  shared: Typed | undefined;
  readonly perHost = new Map<string, Typed>();
  upFront: string | undefined;
}

const processState = new SudoPasswordState();
const state = (): SudoPasswordState => currentContext()?.sudoPasswords ?? processState;

const TYPED = 'the sudo password typed at the terminal';

export function resetSudoPasswords(): void {
  processState.refused.clear();
  processState.shared = undefined;
  processState.perHost.clear();
  processState.upFront = undefined;
}

/** Asks for the sudo password now (--prompt-for-sudo-password, before any task runs). */
export async function askSudoPasswordUpFront(): Promise<void> {
  const upFront = await ask({ host: undefined, text: 'sudo password (for every host):', secret: true, remedy: 'set env.sudoPassword in a config file instead' });
  processState.upFront = upFront;
  processState.shared = { answer: Promise.resolve(upFront), value: upFront };
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
  const run = state();
  const existing = perHostMode ? run.perHost.get(host) : run.shared;
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
    () => forget(run, entry),
  );
  if (perHostMode) run.perHost.set(host, entry);
  else run.shared = entry;
  return entry;
}

function forget(run: SudoPasswordState, entry: Typed): void {
  if (run.shared === entry) run.shared = undefined;
  for (const [host, value] of run.perHost) if (value === entry) run.perHost.delete(host);
}

/**
 * The password to answer sudo's prompt on host with. Configured ones come first (the sudo() option,
 * env.sudoPassword, env.passwords[host], env.password); then the one typed at the terminal: asked once
 * for all hosts (the first host to need it asks, the others wait for that answer), or once per host
 * with env.sudoPasswordPerHost. Passwords sudo has refused in this run are skipped.
 */
export async function sudoPasswordFor(host: string, explicit: string | undefined): Promise<SudoPassword> {
  const run = state();
  const { refused, upFront } = run;
  const candidates = configured(host, explicit);
  const usable = candidates.find((candidate) => !refused.has(candidate.value));
  if (usable) return usable;
  const perHostMode = Boolean(env.sudoPasswordPerHost);
  if (upFront !== undefined && !refused.has(upFront) && (perHostMode ? !run.perHost.has(host) : true)) {
    return { value: upFront, source: 'the sudo password given with --prompt-for-sudo-password' };
  }
  const refusedEarlier = candidates.find((candidate) => refused.has(candidate.value));
  const remedy = refusedEarlier
    ? `sudo refused the password from ${refusedEarlier.source} earlier in this run; correct it`
    : 'set env.sudoPassword (in a config file), or run with --prompt-for-sudo-password at a terminal';
  const entry = typed(host, perHostMode, remedy);
  const value = await entry.answer;
  if (refused.has(value)) {
    forget(run, entry);
    return sudoPasswordFor(host, explicit);
  }
  return { value, source: TYPED };
}

/** sudo refused this password: it is not sent again in this run, and a typed one is asked again next time. */
export function refuseSudoPassword(password: string): void {
  const run = state();
  run.refused.add(password);
  for (const entry of [run.shared, ...run.perHost.values()]) if (entry?.value === password) forget(run, entry);
}
