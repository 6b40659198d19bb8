import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, posix, relative } from 'node:path';
import { FabError } from '../../errors.ts';
import { fileError } from '../file-access/fs-errors.ts';
import { resolveLocalPath, resolveRemotePath } from '../file-access/paths.ts';
import { upload } from '../transfer/put.ts';
import { parseMode } from '../transfer/put-plan.ts';
import { isDir, exists } from './remote-fs.ts';
import { privileged, sftpOnHost, unprivileged } from '../file-access/sftp-host.ts';
import { backupScript } from '../file-access/sudo-scripts/index.ts';
import type { TransferResult } from '../transfer/transfer-result.ts';

const PLACEHOLDER = /(\\?)\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$]+)*)\s*\}\}/g;

/** A placeholder with no value in the context: its name and line. */
export class MissingVariable extends Error {
  constructor(
    readonly variable: string,
    readonly line: number,
  ) {
    super(`{{ ${variable} }} on line ${line} is not in the context`);
  }
}

function lookup(context: Record<string, unknown>, name: string): unknown {
  let value: unknown = context;
  for (const key of name.split('.')) {
    if (value === null || value === undefined || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function show(value: unknown): string {
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) return JSON.stringify(value);
  return String(value);
}

/**
 * Fills `{{ name }}` (and `{{ a.b }}`) placeholders from context. A placeholder whose value is missing
 * (undefined or null) is an error naming it and its line; `\{{` writes a literal `{{`. Nothing else is special.
 */
export function renderTemplate(text: string, context: Record<string, unknown>): string {
  return text.replace(PLACEHOLDER, (whole, escaped: string, name: string, offset: number) => {
    if (escaped) return whole.slice(1);
    const value = lookup(context, name);
    if (value === undefined || value === null) throw new MissingVariable(name, text.slice(0, offset).split('\n').length);
    return show(value);
  });
}

export interface UploadTemplateOptions {
  useSudo?: boolean;
  /** Copy an existing destination to `<destination>.bak` first (default true), replacing an earlier backup. */
  backup?: boolean;
  /** useSudo only: write (and back up) through a symlink at the destination; see PutOptions.followLinks. */
  followLinks?: boolean;
  mode?: number | string;
  /** Give the result the template file's permission bits. */
  mirrorLocalMode?: boolean;
  /** Where to find the template; default: the path as given, else under templates/ (both from lcd() or the current directory). */
  templateDir?: string;
  /** Where useSudo stages the file on the host (default /tmp). */
  tempDir?: string;
}

async function findTemplate(name: string, templateDir: string | undefined): Promise<string> {
  const candidates = templateDir !== undefined ? [join(resolveLocalPath(templateDir), name)] : isAbsolute(name) ? [name] : [resolveLocalPath(name), resolveLocalPath(join('templates', name))];
  for (const path of candidates) {
    if (await stat(path).then((stats) => stats.isFile(), () => false)) return path;
  }
  const tried = candidates.map((path) => relative(process.cwd(), path) || path).join(', ');
  throw Object.assign(new Error(`template ${name} not found (looked for ${tried})`), { templateMissing: true });
}

/**
 * Renders a local template with context and uploads the result (atomically, like put). A destination that is
 * a directory gets the template's basename; an existing destination is first copied to `.bak` (backup: false
 * skips it). Fails, naming the variable and line, when a placeholder has no value.
 */
export async function uploadTemplate(template: string, destination: string, context: Record<string, unknown> = {}, options: UploadTemplateOptions = {}): Promise<TransferResult> {
  const { host, session } = await sftpOnHost('uploadTemplate');
  let path: string;
  let text: string;
  try {
    path = await findTemplate(template, options.templateDir);
    text = renderTemplate(await readFile(path, 'utf8'), context);
  } catch (error) {
    if (error instanceof MissingVariable) {
      throw new FabError('BAD_ARGUMENT', `uploadTemplate on ${host.text}: ${template}: ${error.message}; pass it in the context`, { host: host.text });
    }
    if ((error as { templateMissing?: boolean }).templateMissing) {
      throw new FabError('BAD_ARGUMENT', `uploadTemplate on ${host.text}: ${(error as Error).message}; give its path, or put it in templates/`, { host: host.text });
    }
    throw fileError('uploadTemplate', host.text, error);
  }
  const mode = parseMode(options.mode, 'uploadTemplate', host.text) ?? (options.mirrorLocalMode ? (await stat(path)).mode & 0o7777 : undefined);
  let target: string;
  try {
    target = await resolveRemotePath(session, destination);
  } catch (error) {
    throw fileError('uploadTemplate', host.text, error);
  }
  const sudoOptions = { useSudo: options.useSudo };
  if (await isDir(target, sudoOptions)) target = posix.join(target, basename(template));
  if (options.backup !== false && (await exists(target, sudoOptions))) {
    // Without sudo the login user's put follows links anyway; as root a link is followed only when asked.
    const script = backupScript(target, randomBytes(4).toString('hex'), { followLinks: !options.useSudo || Boolean(options.followLinks) });
    await (options.useSudo ? privileged : unprivileged)('uploadTemplate', host.text, script);
  }
  return upload('uploadTemplate', Buffer.from(text), target, { mode, useSudo: options.useSudo, tempDir: options.tempDir, followLinks: options.followLinks });
}
