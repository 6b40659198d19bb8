import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';

/**
 * What `-H @failed` reads: the hosts where the last run from a project directory did not succeed, kept in
 * `<project>/.fab/last-run.json` (the fabfile's directory; the working directory for an ad hoc command
 * with no fabfile).
 */
export const FAILED_ALIAS = '@failed';
const STATE_DIR = '.fab';
const STATE_FILE = 'last-run.json';

export interface LastRun {
  version: 1;
  finishedAt: string;
  tasks: string[];
  exitCode: number;
  /** Every host the run targeted, in order. */
  hosts: string[];
  /** Hosts that failed, were interrupted, unreachable, or never ran because the run stopped first. */
  failed: string[];
}

export function lastRunPath(projectDir: string): string {
  return join(projectDir, STATE_DIR, STATE_FILE);
}

export function readLastRun(projectDir: string): LastRun | undefined {
  let text: string;
  try {
    text = readFileSync(lastRunPath(projectDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as LastRun;
    return state.version === 1 && Array.isArray(state.failed) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Records a run (atomically: a half-written state would make the next `-H @failed` lie). */
/** `.fab/` beside the fabfile (last-run.json, fab serve's data), kept out of the user's commits. */
export function makeStateDir(projectDir: string): string {
  const dir = join(projectDir, STATE_DIR);
  mkdirSync(dir, { recursive: true });
  // The directory is the tool's cache: keep it out of the user's commits without touching their .gitignore.
  if (!existsSync(join(dir, '.gitignore'))) writeFileSync(join(dir, '.gitignore'), '*\n', { flag: 'w' });
  return dir;
}

export function writeLastRun(projectDir: string, run: Omit<LastRun, 'version' | 'finishedAt'>): void {
  makeStateDir(projectDir);
  const path = lastRunPath(projectDir);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ version: 1, finishedAt: new Date().toISOString(), ...run }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** Whether a host list names `@failed`. */
export function mentionsFailed(hosts: readonly string[] | undefined): boolean {
  return hosts?.includes(FAILED_ALIAS) ?? false;
}

/**
 * Replaces `@failed` in a host list with the failed hosts of the last run from projectDir. No record
 * at all is a usage error: there is nothing to retry.
 */
export function expandFailed(hosts: string[], projectDir: string): string[] {
  if (!mentionsFailed(hosts)) return hosts;
  const last = readLastRun(projectDir);
  if (!last) {
    throw new UsageError(`-H ${FAILED_ALIAS}: no earlier run is recorded in ${join(projectDir, STATE_DIR)}; run the task with real hosts first`, 'BAD_HOST');
  }
  return hosts.flatMap((host) => (host === FAILED_ALIAS ? last.failed : [host]));
}
