import { stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import type { SftpSession } from '../../sftp/session.ts';
import { walkRemoteTree } from '../../sftp/tree.ts';
import { fileUsage } from '../file-access/fs-errors.ts';
import { expandPathTokens, hasPathTokens, namesDirectory, resolveLocalPath } from '../file-access/paths.ts';

/** A remote file or directory to fetch: where to read it, and the path it has on the host (for tokens and events). */
export interface RemoteMatch {
  read: string;
  shown: string;
}

export interface PlannedDownload {
  read: string;
  remote: string;
  local: string;
  size: number;
  mode: number;
}

export interface GetPlan {
  /** Local directories to have, parents first, with the remote directories' modes. */
  dirs: { local: string; mode: number }[];
  files: PlannedDownload[];
}

const isLocalDir = (path: string) => stat(path).then((stats) => stats.isDirectory(), () => false);

/** Whether `path` is `dir` or below it (both absolute and resolved). */
function within(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}

/**
 * The directory a template's literal start names (`/tmp/x/` of `/tmp/x/{host}`; lcd() for `{host}/{path}`; `/` for a
 * template that starts with `{path}` or `{dirname}`, which asks for the remote path itself).
 */
function templateBase(template: string): string {
  const first = template.search(/\{(host|dirname|basename|path)\}/);
  if (first === 0 && /^\{(path|dirname)\}/.test(template)) return '/';
  const literal = first === -1 ? template : template.slice(0, first);
  const cut = literal.lastIndexOf('/');
  return resolveLocalPath(cut === -1 ? '.' : literal.slice(0, cut + 1));
}

/**
 * Where one remote match lands. A template with tokens names its own destination (`{host}/{path}`); a plain
 * local path that is an existing directory, ends with `/`, or receives several matches gets it under its basename.
 * Neither a token nor a remote name may take the result out of the directory the user named: `{host}` must be one
 * path component, and whatever the tokens expand to must stay under the template's literal start.
 */
export async function localTarget(template: string, host: string, shown: string, several: boolean): Promise<string> {
  const outside = (what: string) => fileUsage('get', host, `${what} would put ${shown} outside the local directory named; refusing it`, 'TRANSFER');
  if (hasPathTokens(template)) {
    if (template.includes('{host}') && (host.includes('/') || host === '.' || host === '..')) {
      throw fileUsage('get', host, `the host string ${JSON.stringify(host)} cannot be one local directory name ({host}); give it another name in ssh_config`, 'TRANSFER');
    }
    const local = resolveLocalPath(expandPathTokens(template, { host, path: shown }));
    if (!within(templateBase(template), local)) throw outside(`${template} with {host}=${host}`);
    return local;
  }
  const local = resolveLocalPath(template);
  if (!(several || namesDirectory(template) || (await isLocalDir(local)))) return local;
  const name = posix.basename(shown);
  if (name === '' || name === '.' || name === '..') throw outside(`the name ${JSON.stringify(name)}`);
  return join(local, name);
}

/** `dir/rel` for a relative path from a remote tree walk, which must stay below dir. */
function below(op: string, host: string, dir: string, rel: string): string {
  const path = join(dir, rel);
  if (path === dir || !within(dir, path)) throw fileUsage(op, host, `the remote name ${JSON.stringify(rel)} would be written outside ${dir}; refusing it`, 'TRANSFER');
  return path;
}

/**
 * Where each remote match lands locally (see localTarget); directories come down whole. `modes`, by read path,
 * overrides the permission bits the reads show (a staged copy's may not be the original's).
 */
export async function planGet(session: SftpSession, op: string, host: string, matches: RemoteMatch[], template: string, modes?: Map<string, number>): Promise<GetPlan> {
  const plan: GetPlan = { dirs: [], files: [] };
  const modeOf = (read: string, shown: number) => modes?.get(read) ?? shown;
  for (const match of matches) {
    const stats = await session.stat(match.read);
    const local = await localTarget(template, host, match.shown, matches.length > 1);
    if (stats.isDirectory()) {
      plan.dirs.push({ local, mode: modeOf(match.read, stats.mode) & 0o7777 });
      const tree = await walkRemoteTree(session, match.read);
      for (const dir of tree.dirs) plan.dirs.push({ local: below(op, host, local, dir.rel), mode: modeOf(posix.join(match.read, dir.rel), dir.mode) });
      for (const file of tree.files) {
        const read = posix.join(match.read, file.rel);
        plan.files.push({ read, remote: posix.join(match.shown, file.rel), local: below(op, host, local, file.rel), size: file.size, mode: modeOf(read, file.mode) & 0o777 });
      }
    } else {
      plan.files.push({ read: match.read, remote: match.shown, local, size: stats.size, mode: modeOf(match.read, stats.mode) & 0o777 });
    }
  }
  const seen = new Map<string, string>();
  for (const file of plan.files) {
    const other = seen.get(file.local);
    if (other !== undefined) {
      throw fileUsage(op, host, `${other} and ${file.remote} would both be written to ${file.local}; put {path} or {dirname} in the local path`, 'TRANSFER');
    }
    seen.set(file.local, file.remote);
  }
  return plan;
}
