import { homedir } from 'node:os';
import { posix, resolve } from 'node:path';
import { currentScope } from '../../env/context.ts';
import type { SftpSession } from '../../sftp/session.ts';

/** `~`, `~/x`, `~user`, `~user/x`: the user part and the rest. */
const TILDE = /^~([^/]*)(\/.*)?$/;

/**
 * A remote path made absolute the way the SFTP server and a shell would agree on: `~` is the login
 * user's home (the SFTP server's starting directory, asked with realpath('.')), `~user` goes through
 * `expand-path@openssh.com`, and relative paths follow cd(). The result has no trailing slash.
 */
export async function resolveRemotePath(session: SftpSession, path: string, cwd: string | undefined = currentScope().cwd): Promise<string> {
  if (path.startsWith('/')) return normalizeRemote(path);
  const tilde = TILDE.exec(path);
  if (tilde) {
    const [, user = '', rest = ''] = tilde;
    if (user === '') return normalizeRemote(`${await session.home()}${rest}`);
    const expanded = session.expandPath(`~${user}`);
    if (!expanded) throw new Error(`cannot expand ~${user}: the SFTP server has no expand-path extension; use an absolute path`);
    return normalizeRemote(`${await expanded}${rest}`);
  }
  const base = cwd !== undefined ? await resolveRemotePath(session, cwd, undefined) : await session.home();
  return normalizeRemote(posix.join(base, path));
}

export function normalizeRemote(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** Whether the user wrote the path as a directory (`/srv/app/`). */
export function namesDirectory(path: string): boolean {
  return path.endsWith('/') || path === '.' || path === '~' || path.endsWith('/.');
}

/** A local path made absolute: `~` is this user's home, relative paths follow lcd(). */
export function resolveLocalPath(path: string): string {
  const tilde = /^~(\/.*)?$/.exec(path);
  if (tilde) return resolve(homedir(), `.${tilde[1] ?? ''}`);
  return resolve(currentScope().lcwd ?? process.cwd(), path);
}

/** What the tokens of a get() local path stand for, for one remote file. */
export interface PathTokens {
  host: string;
  path: string;
}

const TOKEN = /\{(host|dirname|basename|path)\}/g;

export function hasPathTokens(template: string): boolean {
  return /\{(host|dirname|basename|path)\}/.test(template);
}

/**
 * Fills `{host} {dirname} {basename} {path}` in a local path template (Fabric's `%(host)s` etc.).
 * `{host}` is the host string with `:` as `-` (a port never makes a path odd); `{path}` is the full remote
 * path, so `{host}/{path}` gives `web1//var/log/x`, which resolving turns into `web1/var/log/x`.
 */
export function expandPathTokens(template: string, tokens: PathTokens): string {
  const values: Record<string, string> = {
    host: tokens.host.replace(/:/g, '-'),
    path: tokens.path,
    dirname: posix.dirname(tokens.path),
    basename: posix.basename(tokens.path),
  };
  return template.replace(TOKEN, (_, name: string) => values[name]!);
}

/** The default local path of get(): one tree per host, so several hosts never overwrite each other. */
export const DEFAULT_GET_TEMPLATE = '{host}/{path}';
