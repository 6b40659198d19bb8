// Fabric's contrib.files: append, contains, sed, comment, uncomment, first. User text is always data: it
// travels over SFTP, or through quote() into a command, never spliced into shell code.
import { randomBytes } from 'node:crypto';
import type { CurrentHost } from '../../env/context.ts';
import { readWhole } from '../../sftp/download.ts';
import { SftpError, type SftpSession } from '../../sftp/session.ts';
import { fileError, fileUsage } from '../file-access/fs-errors.ts';
import { resolveRemotePath } from '../file-access/paths.ts';
import { quote } from '../quoting/quote.ts';
import type { Result } from '../command/result.ts';
import { exists, type TestOptions } from './remote-fs.ts';
import { run } from '../command/run.ts';
import { commentExpression, sedExpression, uncommentExpression } from './sed-script.ts';
import { isDryRun, privileged, sftpOnHost } from '../file-access/sftp-host.ts';
import { appendScript } from '../file-access/sudo-scripts/index.ts';
import { sudo } from '../sudo/sudo.ts';
import { reportDryRun } from '../transfer/transfer-result.ts';

export interface FileHelperOptions {
  /** Act as root (or env.sudoUser) through sudo. */
  useSudo?: boolean;
}

/** Exit status of the read script when the file is missing. */
const MISSING = 3;

interface Target {
  host: CurrentHost;
  session: SftpSession;
  path: string;
}

async function target(op: string, path: string): Promise<Target> {
  const { host, session } = await sftpOnHost(op);
  if (typeof path !== 'string' || path === '') throw fileUsage(op, host.text, 'give a remote file path', 'BAD_ARGUMENT');
  try {
    return { host, session, path: await resolveRemotePath(session, path) };
  } catch (error) {
    throw fileError(op, host.text, error);
  }
}

/** A remote file's text as the login user or (useSudo) root sees it; undefined when it does not exist. */
async function readText(op: string, { host, session, path }: Target, useSudo: boolean): Promise<string | undefined> {
  if (useSudo) {
    const { stdout, code } = await privileged(op, host.text, `if [ -e ${quote(path)} ]; then cat -- ${quote(path)}; else exit ${MISSING}; fi`, { readOnly: true, okCodes: [MISSING] });
    return code === MISSING ? undefined : stdout;
  }
  try {
    return (await readWhole(session, path)).toString('utf8');
  } catch (error) {
    if (error instanceof SftpError && error.notFound) return undefined;
    throw fileError(op, host.text, error);
  }
}

function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export interface ContainsOptions extends FileHelperOptions {
  /** The whole line must equal text (or match the RegExp from start to end). */
  exact?: boolean;
  /** Default true. */
  caseSensitive?: boolean;
}

/**
 * Whether a remote file holds text (literally), or a line matching a RegExp. False when the file does not exist.
 * Unlike Fabric's egrep, a string is never a pattern: `contains(f, 'a.b')` looks for "a.b".
 */
export async function contains(path: string, text: string | RegExp, options: ContainsOptions = {}): Promise<boolean> {
  const where = await target('contains', path);
  const content = await readText('contains', where, Boolean(options.useSudo));
  if (content === undefined) return false;
  const ignoreCase = options.caseSensitive === false;
  if (text instanceof RegExp) {
    const flags = text.flags.replace(/[gy]/g, '') + (ignoreCase && !text.flags.includes('i') ? 'i' : '');
    const pattern = new RegExp(options.exact ? `^(?:${text.source})$` : text.source, flags);
    return linesOf(content).some((line) => pattern.test(line));
  }
  const fold = (value: string) => (ignoreCase ? value.toLowerCase() : value);
  if (options.exact) return linesOf(content).some((line) => fold(line) === fold(text));
  return fold(content).includes(fold(text));
}

export interface AppendOptions extends FileHelperOptions {
  /** A line counts as present when a line of the file starts with it (Fabric's partial). */
  partial?: boolean;
}

/**
 * Appends lines to a remote file (made when missing), skipping lines already there: running it twice
 * changes nothing. A string with newlines is several lines. Resolves the lines actually added.
 */
export async function append(path: string, text: string | string[], options: AppendOptions = {}): Promise<string[]> {
  const where = await target('append', path);
  const { host, session } = where;
  const wanted = (Array.isArray(text) ? text : [text]).flatMap((item) => linesOf(String(item)));
  const content = (await readText('append', where, Boolean(options.useSudo))) ?? '';
  const present = linesOf(content);
  const added: string[] = [];
  for (const line of wanted) {
    const known = [...present, ...added];
    if (options.partial ? known.some((existing) => existing.startsWith(line)) : known.includes(line)) continue;
    added.push(line);
  }
  if (added.length === 0) return added;
  const newlineFirst = content !== '' && !content.endsWith('\n');
  if (isDryRun()) {
    reportDryRun(options.useSudo ? 'sudo' : 'sftp', host.text, `append ${added.length} line${added.length === 1 ? '' : 's'} to ${where.path}`);
    return added;
  }
  if (options.useSudo) {
    await privileged('append', host.text, appendScript(where.path, added, newlineFirst, randomBytes(4).toString('hex')));
    return added;
  }
  const data = Buffer.from(`${newlineFirst ? '\n' : ''}${added.join('\n')}\n`);
  try {
    // O_APPEND on the server: the bytes go to the end whatever the offset says.
    const handle = await session.open(where.path, 'a', { mode: 0o644 });
    try {
      const size = (await session.fstat(handle, where.path)).size;
      await session.write(handle, where.path, data, 0, data.length, size);
    } finally {
      await session.close(handle, where.path);
    }
  } catch (error) {
    throw fileError('append', host.text, error);
  }
  return added;
}

export interface SedOptions extends FileHelperOptions {
  /** Only lines matching this regex change (sed address `/limit/`). */
  limit?: string;
  /** Extra s/// flags, e.g. 'i'; the replacement is always global, as in Fabric. */
  flags?: string;
  /** Suffix of the backup sed -i keeps; '' for none. Default '.bak'. */
  backup?: string;
}

async function runSed(op: string, path: string, before: string, after: string, options: SedOptions): Promise<Result> {
  const where = await target(op, path);
  let expression: string;
  try {
    expression = sedExpression(before, after, { limit: options.limit, flags: options.flags });
  } catch (error) {
    throw fileUsage(op, where.host.text, (error as Error).message, 'BAD_ARGUMENT');
  }
  const backup = options.backup ?? '.bak';
  const command = `sed ${quote(`-i${backup}`)} -E -e ${quote(expression)} -- ${quote(where.path)}`;
  return options.useSudo ? sudo(command) : run(command);
}

/**
 * Replaces `before` (an extended regular expression) with `after` (`\1`, `&` refer to the match; write `\&`
 * for a literal ampersand) in a remote file with `sed -i -E`, keeping a backup (default suffix .bak).
 */
export function sed(path: string, before: string, after: string, options: SedOptions = {}): Promise<Result> {
  return runSed('sed', path, before, after, options);
}

export interface CommentOptions extends FileHelperOptions {
  /** The comment marker; default '#'. */
  char?: string;
  backup?: string;
}

/** Comments out the lines matching regex (an extended regular expression) by putting `char` at their start. */
export function comment(path: string, regex: string, options: CommentOptions = {}): Promise<Result> {
  const { before, after, limit } = commentExpression(regex, options.char ?? '#');
  return runSed('comment', path, before, after, { useSudo: options.useSudo, backup: options.backup, limit });
}

/** Uncomments the lines matching regex (removes `char` and one space after it). */
export function uncomment(path: string, regex: string, options: CommentOptions = {}): Promise<Result> {
  const { before, after, limit } = uncommentExpression(regex, options.char ?? '#');
  return runSed('uncomment', path, before, after, { useSudo: options.useSudo, backup: options.backup, limit });
}

/** The first of the paths that exists on the host, or undefined. A trailing `{ useSudo }` asks as root. */
export async function first(...args: (string | TestOptions)[]): Promise<string | undefined> {
  const last = args.at(-1);
  const options = typeof last === 'object' && last !== null ? (args.pop() as TestOptions) : {};
  for (const path of args as string[]) if (await exists(path, options)) return path;
  return undefined;
}
