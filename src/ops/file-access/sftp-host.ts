import { DEFAULTS } from '../../config/schema.ts';
import type { CurrentHost } from '../../env/context.ts';
import { env } from '../../env/env.ts';
import { hide, settings } from '../../env/scopes.ts';
import { CommandError, FabError, type FabErrorCode } from '../../errors.ts';
import { SftpSession } from '../../sftp/session.ts';
import { connectionFor } from '../../ssh/pool.ts';
import { fileError } from './fs-errors.ts';
import { requireHost } from '../command/remote.ts';
import { run } from '../command/run.ts';
import { sudo } from '../sudo/sudo.ts';

/** The current host and its pooled connection's one SFTP session. */
export async function sftpOnHost(op: string): Promise<{ host: CurrentHost; session: SftpSession }> {
  const host = requireHost(op);
  try {
    const connection = await connectionFor(host.text);
    let session = SftpSession.for(await connection.sftp(), connection);
    if (session.isLost) {
      // Dropped after a request went unanswered (its channel may never close): this operation gets a new one.
      connection.forgetSftp(session.channel);
      session = SftpSession.for(await connection.sftp(), connection);
    }
    // This task's limits: a listing's size, and how long the server may leave a request unanswered.
    session.maxListing = (env.maxListing as number | undefined) ?? DEFAULTS.maxListing;
    session.requestTimeoutMs = ((env.sftpTimeout as number | undefined) ?? DEFAULTS.sftpTimeout) * 1000;
    return { host, session };
  } catch (error) {
    if (error instanceof FabError && error.code === 'NO_SFTP') {
      throw new FabError('NO_SFTP', `${op} on ${error.message}; put and get work without it, ${op} does not`, { host: host.text, cause: error });
    }
    throw fileError(op, host.text, error);
  }
}

/** Whether an error says the host has no SFTP subsystem (put/get fall back to exec channels then). */
export function lacksSftp(error: unknown): boolean {
  return error instanceof FabError && error.code === 'NO_SFTP';
}

export function isDryRun(): boolean {
  return Boolean(env.dryRun);
}

/** Whether sudo acts as root here (env.sudoUser unset or root): root can hand files back to the login user. */
export function sudoIsRoot(): boolean {
  const user = env.sudoUser as string | undefined;
  return user === undefined || user === '' || user === 'root';
}

/** sudo's target user as setfacl names it (`#1001` is sudo's way to write a uid); undefined for root. */
export function sudoUserForAcl(): string | undefined {
  if (sudoIsRoot()) return undefined;
  const user = env.sudoUser as string;
  return user.startsWith('#') ? user.slice(1) : user;
}

type ScriptOptions = { readOnly?: boolean; code?: FabErrorCode; okCodes?: number[] };

/**
 * Runs a helper script for a file operation, its lines hidden (the operation reports itself), whatever warnOnly
 * says: an exit status outside `okCodes` is this operation's error, with the last line of stderr (a line of our
 * own, `fabts: ...`, already says what to do and stands alone). `readOnly` scripts run under --dry-run too, as
 * the SFTP queries do.
 */
async function helperScript(runner: 'run' | 'sudo', op: string, host: string, script: string, options: ScriptOptions): Promise<{ stdout: string; code: number | null }> {
  const okReturnCodes = [0, ...(options.okCodes ?? [])];
  // sudo steps follow env.pty: a host whose sudoers has requiretty runs sudo only on a terminal.
  const commandOptions = { cwd: '/', warnOnly: false, okReturnCodes, pty: runner === 'sudo' && Boolean(env.pty) };
  const call = () => hide('running', 'stdout', 'stderr', () => (runner === 'sudo' ? sudo(script, commandOptions) : run(script, commandOptions)));
  try {
    const result = options.readOnly ? await settings({ dryRun: false }, call) : await call();
    return { stdout: result.stdout, code: result.code };
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const why = error.result.stderr.trim().split('\n').pop() || `exit code ${error.result.code}`;
    const message = why.startsWith('fabts: ') ? why.slice('fabts: '.length) : `${runner === 'sudo' ? 'sudo' : 'the command'} failed: ${why}`;
    throw new FabError(options.code ?? 'REMOTE_FS', `${op} on ${host}: ${message}`, { host, cause: error });
  }
}

/** A helper script through sudo() (as root or env.sudoUser); see helperScript. */
export function privileged(op: string, host: string, script: string, options: ScriptOptions = {}): Promise<{ stdout: string; code: number | null }> {
  return helperScript('sudo', op, host, script, options);
}

/** A helper script as the login user, through run(); see helperScript. */
export function unprivileged(op: string, host: string, script: string, options: ScriptOptions = {}): Promise<{ stdout: string; code: number | null }> {
  return helperScript('run', op, host, script, options);
}
