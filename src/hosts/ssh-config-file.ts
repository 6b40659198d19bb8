// Reading an OpenSSH client config: the ssh-config package tokenizes, this file checks values, records where each
// line came from, and resolves Include (which the package keeps as a plain directive).
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import SSHConfig, { LineType, type Line } from 'ssh-config';
import { UsageError } from '../errors.ts';
import { expandGlob } from './glob.ts';
import { parseOption, type ParsedOption } from './ssh-config-options.ts';
import { tildeExpand } from './tokens.ts';

export interface ConfigLocation {
  file: string;
  line: number;
}

export type MatchCriterionName = 'all' | 'canonical' | 'final' | 'host' | 'originalhost' | 'user' | 'localuser' | 'exec' | 'localnetwork' | 'tagged';

export interface MatchCriterion {
  name: MatchCriterionName;
  negated: boolean;
  argument?: string;
}

export type ConfigEntry =
  | { kind: 'host'; patterns: string[]; at: ConfigLocation }
  | { kind: 'match'; criteria: MatchCriterion[]; at: ConfigLocation }
  | { kind: 'include'; files: IncludedFile[]; at: ConfigLocation }
  | { kind: 'option'; option: ParsedOption; at: ConfigLocation };

export interface IncludedFile {
  path: string;
  entries: ConfigEntry[];
}

/** A loaded config: its lines in order, with Include already replaced by the files it named. */
export interface SshConfigFile {
  /** The config's absolute path. */
  readonly path: string;
  /** Every file that was read: the config itself (when it exists) and its includes, in reading order. */
  readonly files: readonly string[];
  readonly entries: readonly ConfigEntry[];
}

export interface LoadSshConfigOptions {
  /** Home for `~` and relative Include paths; default $HOME, as OpenSSH's glob(3) uses it. */
  home?: string;
  /** A system-wide config (/etc/ssh/ssh_config): relative includes live in /etc/ssh and `~` is refused. */
  system?: boolean;
}

const MAX_INCLUDE_DEPTH = 16; // READCONF_MAX_DEPTH
const ARGUMENT_CRITERIA = new Set(['host', 'originalhost', 'user', 'localuser', 'exec', 'localnetwork', 'tagged']);

export function configError(at: ConfigLocation, problem: string): UsageError {
  return new UsageError(`Bad ssh config ${at.file} line ${at.line}: ${problem}; fix the line, or use another file (-F)`, 'BAD_CONFIG');
}

interface LoadContext {
  home: string;
  system: boolean;
  files: string[];
}

/** An empty config, for when ssh_config is not used. */
export function emptySshConfig(path = ''): SshConfigFile {
  return { path, files: [], entries: [] };
}

/**
 * Reads and checks an OpenSSH client config, resolving Include the OpenSSH way: relative paths are relative to
 * ~/.ssh (/etc/ssh for a system config), globs expand in sorted order, missing files are skipped.
 * A missing config is an empty one.
 * @throws UsageError BAD_CONFIG naming the file and line of a syntax error or a bad value.
 */
export async function loadSshConfig(path: string, options: LoadSshConfigOptions = {}): Promise<SshConfigFile> {
  const ctx: LoadContext = { home: options.home ?? homedir(), system: options.system ?? false, files: [] };
  const absolute = resolvePath(path.startsWith('~') ? expandTilde(path, ctx, { file: path, line: 0 }) : path);
  const text = await readConfigText(absolute, { file: absolute, line: 0 });
  if (text === undefined) return emptySshConfig(absolute);
  ctx.files.push(absolute);
  const entries = await parseConfigText(text, absolute, ctx, 0);
  return { path: absolute, files: ctx.files, entries };
}

async function readConfigText(path: string, at: ConfigLocation): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // ssh reads an included directory as an empty file (`Include conf.d/*` may match a subdirectory).
    if (code === 'EISDIR' && at.line !== 0) return '';
    const problem = `cannot read ${path} (${code ?? String(error)})`;
    throw at.line === 0 ? new UsageError(`Bad ssh config: ${problem}`, 'BAD_CONFIG') : configError(at, problem);
  }
}

function expandTilde(path: string, ctx: LoadContext, at: ConfigLocation): string {
  try {
    return tildeExpand(path, ctx.home);
  } catch (error) {
    throw configError(at, (error as Error).message);
  }
}

/** The package reports neither the line of a syntax error nor every problem clearly, so find the first bad line. */
function syntaxError(file: string, tokenizable: string, text: string, cause: unknown): UsageError {
  const lines = tokenizable.split('\n');
  const original = text.split('\n');
  for (const [index, line] of lines.entries()) {
    try {
      SSHConfig.parse(line);
    } catch (error) {
      const reason = error instanceof TypeError ? 'a keyword without a value' : (error as Error).message;
      return configError({ file, line: index + 1 }, `cannot parse ${JSON.stringify((original[index] ?? line).trim())} (${reason})`);
    }
  }
  return new UsageError(`Bad ssh config ${file}: ${(cause as Error).message}`, 'BAD_CONFIG', { cause });
}

function countNewlines(text: string): number {
  let count = 0;
  for (const char of text) if (char === '\n') count++;
  return count;
}

function argumentsOf(value: string | readonly { val: string }[]): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  return value.map((item) => item.val);
}

async function parseConfigText(text: string, file: string, ctx: LoadContext, depth: number): Promise<ConfigEntry[]> {
  // The package's own Match parsing rejects negated criteria without a value (`Match !final`); Match lines are
  // tokenized as Host lines instead, and told apart again by the raw line's keyword.
  const tokenizable = text.replace(/^([ \t]*)match(?=[ \t=])/gim, '$1Host');
  let parsed: SSHConfig;
  try {
    parsed = SSHConfig.parse(tokenizable);
  } catch (error) {
    throw syntaxError(file, tokenizable, text, error);
  }
  const rawLines = text.split('\n');
  const entries: ConfigEntry[] = [];
  // The package keeps every byte around each node (stringify gives the text back), so newlines before a node give its line.
  let newlines = 0;
  const visit = async (nodes: readonly Line[]): Promise<void> => {
    for (const node of nodes) {
      newlines += countNewlines(node.before);
      if (node.type === LineType.DIRECTIVE) {
        const at = { file, line: newlines + 1 };
        const rawLine = (rawLines[newlines] ?? '').replace(/\r$/, '');
        const param = /^\s*([^ \t=]+)/.exec(rawLine)?.[1] ?? node.param;
        const entry = await toEntry(param, argumentsOf(node.value), rawLine, at, ctx, depth);
        if (entry !== undefined) entries.push(entry);
      }
      newlines += countNewlines(node.after);
      if ('config' in node) await visit(node.config);
    }
  };
  await visit(parsed);
  return entries;
}

async function toEntry(
  param: string,
  args: string[],
  rawLine: string,
  at: ConfigLocation,
  ctx: LoadContext,
  depth: number,
): Promise<ConfigEntry | undefined> {
  const keyword = param.toLowerCase();
  if (args.length === 0) throw configError(at, `${param} needs a value`);
  switch (keyword) {
    case 'host':
      return { kind: 'host', patterns: args, at };
    case 'match':
      return { kind: 'match', criteria: parseMatch(args, at), at };
    case 'include':
      return { kind: 'include', files: await resolveInclude(args, at, ctx, depth), at };
    default: {
      // OpenSSH takes ProxyCommand and ProxyJump from the raw rest of the line, after the keyword and any blanks or "=".
      const raw = rawLine.trim().replace(/^[^ \t=]+[ \t=]*/, '');
      try {
        const option = parseOption(keyword, args, raw);
        // Unknown keywords are skipped: they may be options of a newer ssh, and nothing here needs them.
        return option === undefined ? undefined : { kind: 'option', option, at };
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw configError(at, `${param}: ${(error as Error).message}`);
      }
    }
  }
}

function parseMatch(args: string[], at: ConfigLocation): MatchCriterion[] {
  const criteria: MatchCriterion[] = [];
  for (let i = 0; i < args.length; ) {
    const word = args[i++] ?? '';
    const negated = word.startsWith('!');
    const name = (negated ? word.slice(1) : word).toLowerCase();
    if (name === 'all') {
      if (i < args.length || criteria.some((c) => c.name !== 'canonical' && c.name !== 'final')) {
        throw configError(at, 'Match all cannot be combined with other criteria');
      }
      criteria.push({ name, negated });
    } else if (name === 'canonical' || name === 'final') {
      criteria.push({ name, negated });
    } else if (ARGUMENT_CRITERIA.has(name)) {
      const argument = args[i++];
      if (argument === undefined || argument === '') throw configError(at, `Match ${name} needs a value`);
      criteria.push({ name: name as MatchCriterionName, negated, argument });
    } else {
      throw configError(at, `unsupported Match criterion "${word}"`);
    }
  }
  if (criteria.length === 0) throw configError(at, 'Match needs at least one criterion');
  return criteria;
}

async function resolveInclude(args: string[], at: ConfigLocation, ctx: LoadContext, depth: number): Promise<IncludedFile[]> {
  if (depth + 1 > MAX_INCLUDE_DEPTH) throw configError(at, `Include nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
  const included: IncludedFile[] = [];
  for (const arg of args) {
    if (arg.startsWith('~') && ctx.system) throw configError(at, `a system config cannot Include "${arg}"`);
    const anchored = isAbsolute(arg) || arg.startsWith('~') ? arg : ctx.system ? `/etc/ssh/${arg}` : `~/.ssh/${arg}`;
    for (const path of await expandGlob(expandTilde(anchored, ctx, at))) {
      const text = await readConfigText(path, at);
      if (text === undefined) continue;
      ctx.files.push(path);
      included.push({ path, entries: await parseConfigText(text, path, ctx, depth + 1) });
    }
  }
  return included;
}
