// The expansions OpenSSH applies to ssh_config values (misc.c): %tokens, ${ENV}, ~ and time intervals.
import { readFileSync } from 'node:fs';

/** Thrown by the expanders; the caller adds the file and line. */
export class TokenError extends Error {
  override name = 'TokenError';
}

/**
 * percent_expand(): `%%` is `%`, `%x` is tokens.x; an unknown token or a trailing `%` is an error. `used` sees each
 * token the text uses (and may throw).
 */
export function percentExpand(text: string, tokens: Readonly<Record<string, string>>, used?: (key: string, value: string) => void): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char !== '%') {
      out += char;
      continue;
    }
    const key = text[++i];
    if (key === undefined) throw new TokenError(`"${text}" ends with a lone "%"`);
    if (key === '%') out += '%';
    else if (Object.hasOwn(tokens, key)) {
      used?.(key, tokens[key]!);
      out += tokens[key];
    }
    else throw new TokenError(`"${text}" uses the unknown token %${key} (known: ${Object.keys(tokens).map((k) => `%${k}`).join(' ')} %%)`);
  }
  return out;
}

/**
 * Why a host or user name cannot go into a shell command, or undefined when it can: OpenSSH 9.6's valid_hostname()
 * rule (CVE-2023-51385), quotes, `$`, backslash, `;&<>|(){}`, blanks and control characters, or a leading `-`.
 */
export function shellUnsafe(name: string): string | undefined {
  if (name.startsWith('-')) return 'it starts with "-"';
  if (/['`"$\\;&<>|(){}]/.test(name)) return 'it contains shell metacharacters';
  if (/[\s\u0000-\u001f\u007f]/u.test(name)) return 'it contains blanks or control characters (shell metacharacters)';
  return undefined;
}

/** dollar_expand(): `${NAME}` is the environment variable NAME, which must be set; a `$` without `{` stays. */
export function dollarExpand(text: string, env: NodeJS.ProcessEnv): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start === -1) break;
    const end = text.indexOf('}', start + 2);
    if (end === -1) throw new TokenError(`"${text}" has "\${" without a closing "}"`);
    const name = text.slice(start + 2, end);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TokenError(`"${text}" has a bad variable name "${name}"`);
    const value = env[name];
    if (value === undefined) throw new TokenError(`"${text}" uses \${${name}}, which is not set`);
    out += text.slice(i, start) + value;
    i = end + 1;
  }
  return out + text.slice(i);
}

/** The first /etc/passwd entry (its fields) that `match` accepts: Node has no getpwnam or getpwuid. */
function passwdEntry(match: (fields: string[]) => boolean, passwdFile = '/etc/passwd'): string[] | undefined {
  let passwd: string;
  try {
    passwd = readFileSync(passwdFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 7 && match(fields)) return fields;
  }
  return undefined;
}

/** The home directory of a local user, from /etc/passwd. */
export function homeOfUser(name: string, passwdFile = '/etc/passwd'): string | undefined {
  return passwdEntry((fields) => fields[0] === name, passwdFile)?.[5];
}

/** A local user's name by uid, from /etc/passwd. */
export function nameOfUser(uid: number, passwdFile = '/etc/passwd'): string | undefined {
  return passwdEntry((fields) => fields[2] === String(uid), passwdFile)?.[0];
}

/** tilde_expand_filename(): `~` and `~/x` use `home`, `~user/x` that user's home; anything else is returned as is. */
export function tildeExpand(path: string, home: string): string {
  if (!path.startsWith('~')) return path;
  const slash = path.indexOf('/');
  const name = slash === -1 ? path.slice(1) : path.slice(1, slash);
  const rest = slash === -1 ? '' : path.slice(slash + 1);
  let dir = home;
  if (name !== '') {
    const found = homeOfUser(name);
    if (found === undefined) throw new TokenError(`"${path}" names the unknown local user "${name}"`);
    dir = found;
  }
  return dir.endsWith('/') ? `${dir}${rest}` : `${dir}/${rest}`;
}

const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** convtime(): `90`, `90s`, `1m30s`, `2h`, `1d`, `1w` to seconds; undefined when malformed. */
export function parseTime(text: string): number | undefined {
  if (!/^(?:[0-9]+[sSmMhHdDwW]?)+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)([sSmMhHdDwW]?)/g)) {
    total += Number(amount) * (TIME_UNITS[(unit ?? '').toLowerCase()] ?? 1);
  }
  return Number.isSafeInteger(total) && total <= 2 ** 31 - 1 ? total : undefined;
}
