import { UsageError } from '../errors.ts';

/**
 * The env keys fabts knows (API.md "env"): their types, defaults, and the checks and coercions applied
 * to values that come from config files and from `--set`. Unknown keys are allowed everywhere and pass
 * through untouched; only their names are normalized.
 */

export type HostKeyPolicy = 'accept-new' | 'strict' | 'off';

/** A role as an object (Fabric 1 style): `{ hosts: [...] }`, other keys kept for the user's own use. */
export interface RoleDefinition {
  hosts: string[];
  [key: string]: unknown;
}

/** Every known env key with the type its value has once validated. */
export interface KnownSettings {
  hosts: string[];
  roles: string[];
  roledefs: Record<string, string[] | RoleDefinition>;
  excludeHosts: string[];
  user: string;
  port: number;
  password: string;
  /** Per host string (`user@host:port`) passwords. */
  passwords: Record<string, string>;
  keyFilename: string[];
  /** Passphrase for encrypted key files (else the interactive prompt, when there is one). */
  keyPassphrase: string;
  noAgent: boolean;
  noKeys: boolean;
  forwardAgent: boolean;
  gateway: string;
  useSshConfig: boolean;
  sshConfigPath: string;
  /** Connect timeout, seconds. */
  timeout: number;
  connectionAttempts: number;
  /** Seconds between keepalives; 0 turns them off. */
  keepalive: number;
  hostKeyPolicy: HostKeyPolicy;
  knownHostsFile: string;
  parallel: boolean;
  poolSize: number;
  /**
   * SSH handshakes in flight at once (8): below OpenSSH's default MaxStartups 10:30:100, because sshd counts a
   * handshake as finished a little after the client sees it finish; at 10 it dropped about a third of 200
   * simultaneous connections (each then tried again), at 8 none.
   */
  maxStartups: number;
  /** Channels open at once on one connection (OpenSSH's MaxSessions; lowered on its own when a server allows fewer). */
  maxSessions: number;
  warnOnly: boolean;
  okReturnCodes: number[];
  shell: string;
  pty: boolean;
  /** Seconds a command may run; 0 means no limit. */
  commandTimeout: number;
  /**
   * Characters of each of stdout and stderr a Result keeps (the end of the output); the rest still streams to the
   * terminal and logs, and the Result says `truncated: true`. Bounds fab's memory whatever a command prints.
   */
  maxCapture: number;
  /**
   * Entries one remote directory listing may have (listdir, get of a directory or glob, the files of one get):
   * past it the operation fails saying so, so a server listing millions of names cannot take fab's memory.
   */
  maxListing: number;
  /** Seconds an SFTP request (the session's INIT included) may go unanswered before the session is dropped. */
  sftpTimeout: number;
  sudoUser: string;
  sudoPassword: string;
  sudoPrompt: string;
  /** Ask for the sudo password once per host instead of once for all hosts. */
  sudoPasswordPerHost: boolean;
  skipBadHosts: boolean;
  abortOnPrompts: boolean;
  dryRun: boolean;
  logDir: string;
}

export type KnownKey = keyof KnownSettings;

type DefaultedKey =
  | 'hosts' | 'roles' | 'roledefs' | 'excludeHosts' | 'passwords' | 'keyFilename'
  | 'noAgent' | 'noKeys' | 'forwardAgent' | 'useSshConfig' | 'sshConfigPath'
  | 'timeout' | 'connectionAttempts' | 'keepalive' | 'hostKeyPolicy' | 'knownHostsFile'
  | 'parallel' | 'maxStartups' | 'maxSessions' | 'maxCapture' | 'maxListing' | 'sftpTimeout' | 'warnOnly' | 'okReturnCodes' | 'shell' | 'pty' | 'sudoPrompt' | 'sudoPasswordPerHost'
  | 'skipBadHosts' | 'abortOnPrompts' | 'dryRun';

/** The defaults every other layer sits on. Keys absent here have no default (see the notes). */
export type DefaultSettings = Pick<KnownSettings, DefaultedKey>;

/**
 * Defaults, deeply frozen: copy them with `defaultSettings()` before changing anything.
 *
 * - `shell` is `/bin/sh -c`, not Fabric 1's `/bin/bash -l -c`: a login shell costs ~100 ms per command and bash is
 *   not on every host. Set `shell: '/bin/bash -l -c'` to get Fabric 1's behaviour (profile-provided PATH etc.).
 * - `pty` is false: stdout and stderr stay separate in `Result`, output has no `\r\n`, and `sudo -S` reads its
 *   password from stdin without one.
 * - No default for `user`, `port`, `gateway`: they come per host from the host string, then env, then ssh_config,
 *   then the local user name / 22 / none. `poolSize` unset means no limit; `commandTimeout` unset means none;
 *   `sudoUser` unset means root.
 */
export const DEFAULTS: Readonly<DefaultSettings> = deepFreeze({
  hosts: [],
  roles: [],
  roledefs: {},
  excludeHosts: [],
  passwords: {},
  keyFilename: [],
  noAgent: false,
  noKeys: false,
  forwardAgent: false,
  useSshConfig: true,
  sshConfigPath: '~/.ssh/config',
  timeout: 10,
  connectionAttempts: 1,
  keepalive: 0,
  hostKeyPolicy: 'accept-new',
  knownHostsFile: '~/.ssh/known_hosts',
  parallel: false,
  maxStartups: 8,
  maxSessions: 10,
  maxCapture: 32 * 1024 * 1024,
  maxListing: 100_000,
  sftpTimeout: 60,
  warnOnly: false,
  okReturnCodes: [0],
  shell: '/bin/sh -c',
  pty: false,
  sudoPrompt: 'sudo password:',
  sudoPasswordPerHost: false,
  skipBadHosts: false,
  abortOnPrompts: false,
  dryRun: false,
});

/** A fresh, mutable copy of `DEFAULTS`. */
export function defaultSettings(): DefaultSettings {
  return structuredClone(DEFAULTS) as DefaultSettings;
}

type KeySpec =
  | { kind: 'boolean' }
  | { kind: 'string'; nonEmpty?: boolean; path?: boolean }
  | { kind: 'number'; integer?: boolean; min?: number; max?: number; above?: number; expected: string }
  | { kind: 'enum'; values: readonly string[] }
  /** `split`: a string in a config file is a comma/semicolon list (host-like keys), else it is one item. */
  | { kind: 'stringList'; split: boolean; path?: boolean; expected: string }
  | { kind: 'numberList' }
  | { kind: 'passwords' }
  | { kind: 'roledefs' };

const bool = { kind: 'boolean' } as const;
const text = { kind: 'string' } as const;
const hostList = (expected: string): KeySpec => ({ kind: 'stringList', split: true, expected });

const SPECS: Readonly<Record<KnownKey, KeySpec>> = {
  hosts: hostList('a list of host strings (or one comma-separated string)'),
  roles: hostList('a list of role names (or one comma-separated string)'),
  roledefs: { kind: 'roledefs' },
  excludeHosts: hostList('a list of host strings (or one comma-separated string)'),
  user: { kind: 'string', nonEmpty: true },
  port: { kind: 'number', integer: true, min: 1, max: 65535, expected: 'a whole number from 1 to 65535' },
  password: text,
  passwords: { kind: 'passwords' },
  keyFilename: { kind: 'stringList', split: false, path: true, expected: 'a key file path or a list of them' },
  keyPassphrase: text,
  noAgent: bool,
  noKeys: bool,
  forwardAgent: bool,
  gateway: text,
  useSshConfig: bool,
  sshConfigPath: { kind: 'string', nonEmpty: true, path: true },
  timeout: { kind: 'number', above: 0, expected: 'a number of seconds greater than 0' },
  connectionAttempts: { kind: 'number', integer: true, min: 1, expected: 'a whole number, 1 or more' },
  keepalive: { kind: 'number', min: 0, expected: 'a number of seconds, 0 or more' },
  hostKeyPolicy: { kind: 'enum', values: ['accept-new', 'strict', 'off'] },
  knownHostsFile: { kind: 'string', nonEmpty: true, path: true },
  parallel: bool,
  poolSize: { kind: 'number', integer: true, min: 1, expected: 'a whole number, 1 or more' },
  maxStartups: { kind: 'number', integer: true, min: 1, expected: 'a whole number, 1 or more' },
  maxSessions: { kind: 'number', integer: true, min: 1, expected: 'a whole number, 1 or more' },
  warnOnly: bool,
  okReturnCodes: { kind: 'numberList' },
  shell: { kind: 'string', nonEmpty: true },
  pty: bool,
  commandTimeout: { kind: 'number', min: 0, expected: 'a number of seconds, 0 or more (0: no limit)' },
  maxCapture: { kind: 'number', integer: true, min: 0, expected: 'a whole number of characters, 0 or more' },
  maxListing: { kind: 'number', integer: true, min: 1, expected: 'a whole number of entries, 1 or more' },
  sftpTimeout: { kind: 'number', above: 0, expected: 'a number of seconds greater than 0' },
  sudoUser: { kind: 'string', nonEmpty: true },
  sudoPassword: text,
  sudoPrompt: { kind: 'string', nonEmpty: true },
  sudoPasswordPerHost: bool,
  skipBadHosts: bool,
  abortOnPrompts: bool,
  dryRun: bool,
  logDir: { kind: 'string', nonEmpty: true, path: true },
};

/** The known keys, canonical (camelCase) names. */
export const KNOWN_KEYS: readonly KnownKey[] = Object.freeze(Object.keys(SPECS) as KnownKey[]);

/** Known keys whose values are file system paths (relative ones in a config file are relative to that file). */
export const PATH_KEYS: readonly KnownKey[] = Object.freeze(
  KNOWN_KEYS.filter((key) => {
    const spec = SPECS[key];
    return (spec.kind === 'string' || spec.kind === 'stringList') && spec.path === true;
  }),
);

export function isKnownKey(key: string): key is KnownKey {
  return Object.hasOwn(SPECS, key);
}

/** Fabric 1 names that are plain renames of a fabts key (after snake/kebab -> camel). */
const ALIASES: Readonly<Record<string, KnownKey>> = {
  okRetCodes: 'okReturnCodes',
  alwaysUsePty: 'pty',
};

/**
 * The canonical name of a setting: camelCase stays as is; snake_case and kebab-case become camelCase
 * (`skip_bad_hosts`, `skip-bad-hosts`, `SKIP_BAD_HOSTS` -> `skipBadHosts`). Leading and trailing `_`/`-` are kept.
 * Fabric 1's `ok_ret_codes` and `always_use_pty` map to `okReturnCodes` and `pty`. Unknown keys get the same treatment.
 */
export function normalizeKey(key: string): string {
  const [, lead = '', core = '', trail = ''] = /^([-_]*)(.*?)([-_]*)$/s.exec(key) ?? [];
  let name = key;
  if (/[-_]/.test(core)) {
    const words = core.split(/[-_]+/).map((word) => word.toLowerCase());
    name = lead + words.map((word, index) => (index === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1))).join('') + trail;
  }
  return Object.hasOwn(ALIASES, name) ? (ALIASES[name] as KnownKey) : name;
}

/** What went wrong with one value: the path below the key (e.g. `.web`) and what was expected. */
class Mismatch {
  constructor(
    readonly expected: string,
    readonly found: unknown,
    readonly at = '',
  ) {}
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);
const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

function parseNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMBER_TEXT.test(value.trim())) return Number(value.trim());
  return undefined;
}

function splitList(value: string): string[] {
  return value
    .split(/[,;]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function checkNumber(spec: Extract<KeySpec, { kind: 'number' }>, value: unknown): number {
  const number = parseNumber(value);
  const fits =
    number !== undefined &&
    (!spec.integer || Number.isInteger(number)) &&
    (spec.min === undefined || number >= spec.min) &&
    (spec.max === undefined || number <= spec.max) &&
    (spec.above === undefined || number > spec.above);
  if (!fits) throw new Mismatch(spec.expected, value);
  return number;
}

function checkStringList(value: unknown, expected: string, splitStrings: boolean): string[] {
  if (typeof value === 'string') return splitStrings ? splitList(value) : value.trim() === '' ? [] : [value];
  if (!Array.isArray(value)) throw new Mismatch(expected, value);
  return value.map((item, index) => {
    if (typeof item !== 'string' || item.trim() === '') throw new Mismatch('a non-empty string', item, `[${index}]`);
    return splitStrings ? item.trim() : item;
  });
}

function checkNumberList(value: unknown): number[] {
  const expected = 'a list of exit codes (whole numbers, e.g. [0, 1])';
  const items = typeof value === 'string' ? splitList(value) : typeof value === 'number' ? [value] : value;
  if (!Array.isArray(items)) throw new Mismatch(expected, value);
  return items.map((item, index) => {
    const code = parseNumber(item);
    if (code === undefined || !Number.isInteger(code)) throw new Mismatch('a whole number', item, `[${index}]`);
    return code;
  });
}

function checkPasswords(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new Mismatch('an object mapping host strings to passwords', value);
  const out: Record<string, string> = {};
  for (const [host, password] of Object.entries(value)) {
    if (typeof password !== 'string') throw new Mismatch('a string', password, `[${JSON.stringify(host)}]`);
    defineValue(out, host, password);
  }
  return out;
}

/** Runs `check`, putting `at` in front of the location of any mismatch it reports. */
function within<T>(at: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof Mismatch) throw new Mismatch(error.expected, error.found, at + error.at);
    throw error;
  }
}

function checkRoledefs(value: unknown): Record<string, string[] | RoleDefinition> {
  if (!isPlainObject(value)) throw new Mismatch('an object mapping role names to host lists', value);
  const expected = 'a list of host strings, a comma-separated string or { hosts: [...] }';
  const hostsExpected = 'a list of host strings or a comma-separated string';
  const out: Record<string, string[] | RoleDefinition> = {};
  for (const [role, definition] of Object.entries(value)) {
    const checked = within(`.${role}`, (): string[] | RoleDefinition => {
      if (!isPlainObject(definition)) return checkStringList(definition, expected, true);
      if (!Object.hasOwn(definition, 'hosts')) throw new Mismatch(expected, definition);
      return { ...definition, hosts: within('.hosts', () => checkStringList(definition.hosts, hostsExpected, true)) };
    });
    defineValue(out, role, checked);
  }
  return out;
}

function checkValue(spec: KeySpec, value: unknown): unknown {
  switch (spec.kind) {
    case 'boolean': {
      const flag = parseBoolean(value);
      if (flag === undefined) throw new Mismatch('true or false', value);
      return flag;
    }
    case 'string':
      if (typeof value !== 'string' || (spec.nonEmpty === true && value.trim() === '')) {
        throw new Mismatch(spec.nonEmpty === true ? 'a non-empty string' : 'a string', value);
      }
      return value;
    case 'number':
      return checkNumber(spec, value);
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        throw new Mismatch(`one of ${spec.values.map((v) => `"${v}"`).join(', ')}`, value);
      }
      return value;
    case 'stringList':
      return checkStringList(value, spec.expected, spec.split);
    case 'numberList':
      return checkNumberList(value);
    case 'passwords':
      return checkPasswords(value);
    case 'roledefs':
      return checkRoledefs(value);
  }
}

function describeFound(value: unknown, secret: boolean): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return secret ? 'a list' : `a list ${truncate(safeJson(value))}`;
  switch (typeof value) {
    case 'string':
      if (secret) return 'a string';
      return value === '' ? 'an empty string' : truncate(JSON.stringify(value));
    case 'number':
    case 'boolean':
    case 'bigint':
      return secret ? `a ${typeof value}` : String(value);
    case 'function':
      return 'a function';
    case 'object': {
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
      return name && name !== 'Object' ? `a ${name}` : 'an object';
    }
    default:
      return `a ${typeof value}`;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function truncate(text: string, max = 60): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** Keys whose values never appear in an error message. */
const SECRET_KEYS: ReadonlySet<string> = new Set<KnownKey>(['password', 'passwords', 'sudoPassword', 'keyPassphrase']);

function mismatchError(source: string, keyAsWritten: string, canonical: KnownKey, mismatch: Mismatch): UsageError {
  const found = describeFound(mismatch.found, SECRET_KEYS.has(canonical));
  return new UsageError(`${source}: ${keyAsWritten}${mismatch.at} must be ${mismatch.expected}, found ${found}`, 'BAD_CONFIG');
}

/** Assigns without letting a `__proto__` key reach the prototype. */
function defineValue(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Checks a settings object from `source` (a file path, `--set`, ...): normalizes every key, checks and coerces
 * the known ones (`'2222'` -> 2222, `'yes'` -> true, `'a,b'` -> ['a', 'b'] for host lists, a single key path ->
 * [path]), and passes unknown keys through unchanged. Throws a one-line `UsageError` ('BAD_CONFIG') naming the
 * source, the key, what was found and what was expected (passwords are never echoed).
 */
export function validateSettings(values: Record<string, unknown>, source: string): Record<string, unknown> {
  if (!isPlainObject(values)) {
    throw new UsageError(`${source}: expected an object of settings, found ${describeFound(values, false)}`, 'BAD_CONFIG');
  }
  const out: Record<string, unknown> = {};
  const writtenAs = new Map<string, string>();
  for (const [key, value] of Object.entries(values)) {
    // `{ port: undefined }` from a JS config means "not set", as if the key were absent.
    if (value === undefined) continue;
    const name = normalizeKey(key);
    if (name.trim() === '') throw new UsageError(`${source}: a setting has an empty name`, 'BAD_CONFIG');
    const previous = writtenAs.get(name);
    if (previous !== undefined) {
      throw new UsageError(`${source}: ${previous} and ${key} both set ${name}; keep one`, 'BAD_CONFIG');
    }
    writtenAs.set(name, key);
    if (!isKnownKey(name)) {
      defineValue(out, name, value);
      continue;
    }
    try {
      defineValue(out, name, checkValue(SPECS[name], value));
    } catch (error) {
      if (error instanceof Mismatch) throw mismatchError(source, key, name, error);
      throw error;
    }
  }
  return out;
}

/**
 * Turns the text of `--set key=value` into the key's type: booleans from true/false/yes/no/on/off/1/0, numbers
 * from numbers, lists split on `,` or `;`, `roledefs`/`passwords` from a JSON object. Unknown keys stay strings.
 */
export function coerceValue(key: string, raw: string, source = '--set'): unknown {
  const name = normalizeKey(key);
  if (!isKnownKey(name)) return raw;
  const spec = SPECS[name];
  let value: unknown = raw;
  if (spec.kind === 'stringList') value = splitList(raw);
  if ((spec.kind === 'passwords' || spec.kind === 'roledefs') && raw.trim().startsWith('{')) {
    try {
      value = JSON.parse(raw) as unknown;
    } catch (error) {
      throw new UsageError(`${source}: ${key} is not valid JSON (${(error as Error).message})`, 'BAD_CONFIG');
    }
  }
  try {
    return checkValue(spec, value);
  } catch (error) {
    if (error instanceof Mismatch) {
      const asJson = (spec.kind === 'passwords' || spec.kind === 'roledefs') && error.at === '';
      const expected = asJson ? `${error.expected} (as JSON)` : error.expected;
      throw mismatchError(source, key, name, new Mismatch(expected, error.found, error.at));
    }
    throw error;
  }
}

/** Splits on unescaped `separator`; escapes are left in place for `unescape` to remove later. */
function splitUnescaped(text: string, separator: string, limit = Infinity): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && i + 1 < text.length) {
      i++;
      continue;
    }
    if (char === separator && parts.length < limit - 1) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** `\,` -> `,`, `\=` -> `=`, `\\` -> `\`; any other backslash is kept as written. */
function unescape(text: string): string {
  return text.replace(/\\([,=\\])/g, '$1');
}

/**
 * Parses `--set k=v,k2=v2` (Fabric 1 syntax): pairs split on `,`, key and value on the first `=`; `\,`, `\=` and
 * `\\` escape; a bare `k` means true. Keys are normalized and values coerced with `coerceValue`; the last of a
 * repeated key wins. An empty key (`=v`, `a=1,,b=2`, a trailing comma) is an error.
 */
export function parseSetOption(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of splitUnescaped(text, ',')) {
    const [rawKey = '', rawValue] = splitUnescaped(item, '=', 2);
    const key = unescape(rawKey).trim();
    if (key === '') {
      throw new UsageError(`--set ${JSON.stringify(text)}: empty setting name; write key=value pairs separated by commas`, 'BAD_CONFIG');
    }
    const name = normalizeKey(key);
    if (rawValue === undefined) {
      if (isKnownKey(name) && SPECS[name].kind !== 'boolean') {
        throw new UsageError(`--set: ${key} needs a value (${key}=...)`, 'BAD_CONFIG');
      }
      defineValue(out, name, true);
    } else {
      defineValue(out, name, coerceValue(key, unescape(rawValue)));
    }
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
