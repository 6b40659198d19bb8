import type { CurrentHost } from '../env/context.ts';
import { env } from '../env/env.ts';
import { hide, settings } from '../env/scopes.ts';
import { CommandError, FabError, type FabErrorCode } from '../errors.ts';
import { SftpSession } from '../sftp/session.ts';
import { connectionFor } from '../ssh/pool.ts';
import { fileError } from './fs-errors.ts';
import { requireHost } from './remote.ts';
import { sudo } from './sudo.ts';

/** The current host and its pooled connection's one SFTP session. */
export async function sftpOnHost(op: string): Promise<{ host: CurrentHost; session: SftpSession }> {
  const host = requireHost(op);
  try {
    const connection = await connectionFor(host.text);
    return { host, session: SftpSession.for(await connection.sftp(), connection) };
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

/**
 * Runs a helper script through sudo() for a file operation, its lines hidden (the operation reports
 * itself), whatever warnOnly says: an exit status outside `okCodes` is this operation's error, with sudo's
 * last line of stderr. `readOnly` scripts run under --dry-run too, as the SFTP queries do.
 */
export async function privileged(
  op: string,
  host: string,
  script: string,
  options: { readOnly?: boolean; code?: FabErrorCode; okCodes?: number[] } = {},
): Promise<{ stdout: string; code: number | null }> {
  const okReturnCodes = [0, ...(options.okCodes ?? [])];
  // env.pty too: a host whose sudoers has requiretty runs sudo only on a terminal.
  const call = () => hide('running', 'stdout', 'stderr', () => sudo(script, { cwd: '/', warnOnly: false, okReturnCodes, pty: Boolean(env.pty) }));
  try {
    const result = options.readOnly ? await settings({ dryRun: false }, call) : await call();
    return { stdout: result.stdout, code: result.code };
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const why = error.result.stderr.trim().split('\n').pop() || `exit code ${error.result.code}`;
    throw new FabError(options.code ?? 'REMOTE_FS', `${op} on ${host}: sudo failed: ${why}`, { host, cause: error });
  }
}
