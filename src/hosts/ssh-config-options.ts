// The ssh_config keywords fabts reads, and how each value is checked. Like OpenSSH, a bad value is an error
// wherever it is, also inside a Host block that does not apply.
import { formatHostString, parseHostString } from './spec.ts';
import { parseTime } from './tokens.ts';

export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new' | 'ask' | 'off';

export interface OptionValues {
  hostname: string;
  port: number;
  user: string;
  identityfile: string;
  identitiesonly: boolean;
  identityagent: string;
  /** 'none', or the hops in `user@host:port` form. */
  proxyjump: 'none' | string[];
  proxycommand: string;
  connecttimeout: number;
  serveraliveinterval: number;
  serveralivecountmax: number;
  stricthostkeychecking: StrictHostKeyChecking;
  userknownhostsfile: string[];
  globalknownhostsfile: string[];
  /** true/false, or the agent socket to forward (a path or `$VAR`). */
  forwardagent: boolean | string;
  compression: boolean;
  canonicalizehostname: 'no' | 'yes' | 'always';
  hostkeyalias: string;
  connectionattempts: number;
}

export type OptionKey = keyof OptionValues;
export type ParsedOption = { [K in OptionKey]: { key: K; value: OptionValues[K] } }[OptionKey];

function single(args: readonly string[]): string {
  return args.join(' ');
}

function oneWord(args: readonly string[], what: string): string {
  const value = single(args);
  if (/\s/.test(value)) throw new Error(`expected ${what}, got "${value}"`);
  return value;
}

function choice<T extends string>(args: readonly string[], table: Readonly<Record<string, T>>): T {
  const word = single(args);
  const value = table[word.toLowerCase()];
  if (value === undefined) throw new Error(`expected one of ${Object.keys(table).join(', ')}, got "${word}"`);
  return value;
}

const FLAG = { yes: true, true: true, no: false, false: false } as const;

function flag(args: readonly string[]): boolean {
  return choice(args, { yes: 'yes', true: 'yes', no: 'no', false: 'no' }) === 'yes';
}

function integer(args: readonly string[], min: number, max: number): number {
  const word = single(args);
  if (!/^[0-9]+$/.test(word) || Number(word) < min || Number(word) > max) {
    throw new Error(`expected a whole number from ${min} to ${max}, got "${word}"`);
  }
  return Number(word);
}

function seconds(args: readonly string[]): number {
  const word = single(args);
  const value = parseTime(word);
  if (value === undefined) throw new Error(`expected a time like 30, 30s, 5m or 1h30m, got "${word}"`);
  return value;
}

/** One ProxyJump hop, `[user@]host[:port]` or `ssh://[user@]host[:port]`, in canonical host-string form. */
function parseHop(hop: string): string {
  const uri = /^ssh:\/\/(.*?)\/?$/i.exec(hop);
  const text = uri ? decodeURIComponent(uri[1] ?? '') : hop;
  try {
    return formatHostString(parseHostString(text));
  } catch (error) {
    throw new Error(`bad hop "${hop}" (${(error as Error).message.replace(/^Bad host string "[^"]*": /, '')})`);
  }
}

/** ProxyJump from the raw rest of the line (OpenSSH's parse_jump): a `#` ends it, `none` turns jumping off. */
export function parseProxyJump(raw: string): 'none' | string[] {
  const text = raw.replace(/#.*$/, '').trim();
  if (text === '') throw new Error('needs a value');
  if (text.toLowerCase() === 'none') return 'none';
  return text.split(',').map((hop) => parseHop(hop.trim()));
}

const PARSERS: { [K in OptionKey]: (args: readonly string[], raw: string) => OptionValues[K] } = {
  hostname: (args) => oneWord(args, 'one host name'),
  port: (args) => integer(args, 1, 65535),
  user: (args) => single(args),
  identityfile: (args) => single(args),
  identitiesonly: flag,
  identityagent: (args) => single(args),
  proxyjump: (_args, raw) => parseProxyJump(raw),
  proxycommand: (_args, raw) => raw,
  connecttimeout: seconds,
  serveraliveinterval: seconds,
  serveralivecountmax: (args) => integer(args, 0, 2 ** 31 - 1),
  stricthostkeychecking: (args) =>
    choice(args, { yes: 'yes', true: 'yes', no: 'no', false: 'no', off: 'no', ask: 'ask', 'accept-new': 'accept-new' }),
  userknownhostsfile: (args) => [...args],
  globalknownhostsfile: (args) => [...args],
  forwardagent: (args) => {
    const word = single(args);
    const value = FLAG[word.toLowerCase() as keyof typeof FLAG];
    if (value !== undefined) return value;
    if (word.startsWith('$') && !/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(word)) throw new Error(`"${word}" is not a valid variable name`);
    return word;
  },
  compression: flag,
  canonicalizehostname: (args) => choice(args, { yes: 'yes', true: 'yes', no: 'no', false: 'no', always: 'always' }),
  hostkeyalias: (args) => oneWord(args, 'one name'),
  connectionattempts: (args) => integer(args, 1, 2 ** 31 - 1),
};

/** Checks one option; undefined for keywords fabts does not use. Throws a plain Error saying what is wrong. */
export function parseOption(keyword: string, args: readonly string[], raw: string): ParsedOption | undefined {
  if (!Object.hasOwn(PARSERS, keyword)) return undefined;
  const key = keyword as OptionKey;
  const parse = PARSERS[key] as (args: readonly string[], raw: string) => OptionValues[OptionKey];
  return { key, value: parse(args, raw) } as ParsedOption;
}
