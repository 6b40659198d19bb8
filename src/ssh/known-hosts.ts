/**
 * OpenSSH known_hosts files: reading, matching and appending.
 *
 * Follows sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" and OpenSSH's hostfile.c:
 * - `[marker] patterns keytype base64 [comment]`, comments (`#`) and blank lines skipped, CRLF tolerated;
 * - patterns are a comma list of names with `*` / `?` wildcards and `!` negation (a matching negation
 *   cancels the whole line), compared case-insensitively;
 * - a non-22 port is looked up as `[host]:port` (port 22 as the bare host, like OpenSSH);
 * - hashed names `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` (the whole field is one hash);
 * - `@revoked` lines refuse their key for the matching hosts, whatever other lines say;
 * - `@cert-authority` lines are kept out of plain-key matching: ssh2 (1.17) negotiates no certificate host key
 *   algorithm, so a host known by its CA alone cannot be checked, and `check` says so rather than 'unknown';
 * - unparsable lines are skipped, never fatal.
 *
 * `check` semantics are OpenSSH's (`check_key_in_hostkeys`): if a line for the host has exactly this key
 * the host is known; otherwise, if ANY plain key (of any type) is recorded for the host, the key has
 * CHANGED -- OpenSSH 9.2 reports "REMOTE HOST IDENTIFICATION HAS CHANGED" when a host known only by
 * an RSA key presents an ED25519 key, and so do we. This is the safe reading: otherwise a
 * man-in-the-middle could present a key of a type not yet recorded and `accept-new` would store it.
 * OpenSSH avoids false alarms by preferring, during key exchange, the host key algorithms already
 * recorded for the host: the connection layer must do the same with `knownKeyTypes()` +
 * `hostKeyAlgorithmsFor()` (ssh2 `algorithms.serverHostKey`).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants as fsConstants, statSync } from 'node:fs';
import { open, readFile, realpath, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface HostKey {
  /** SSH key type, e.g. 'ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256'. */
  type: string;
  /** Raw SSH wire-format public key blob. */
  data: Buffer;
}

export type KnownHostCheck =
  | { status: 'match'; file: string; line: number }
  | { status: 'unknown' }
  | { status: 'changed'; file: string; line: number; knownType: string }
  | { status: 'revoked'; file: string; line: number }
  /** No plain key is recorded for the host, and a `@cert-authority` line names it: its keys are certified (see check). */
  | { status: 'cert-authority'; file: string; line: number };

export type KnownHostMarker = 'cert-authority' | 'revoked' | undefined;

/** One parsed, valid known_hosts line. */
export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker: KnownHostMarker;
  /** The host field as written (pattern list or hash). */
  hosts: string;
  /** Key type as read from the key blob. */
  type: string;
  data: Buffer;
  comment: string;
}

const HASH_MAGIC = '|1|';

/** The name OpenSSH looks a host up by: `host` for port 22, `[host]:port` otherwise; lowercased. */
export function knownHostName(host: string, port: number): string {
  const h = stripBrackets(host).toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `SHA256:<base64 without padding>`, exactly as `ssh-keygen -lf` prints it. */
export function fingerprint(keyData: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyData).digest('base64').replace(/=+$/, '');
}

/** The first SSH string of a key blob: its type; undefined when the blob is malformed. */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const type = blob.toString('latin1', 4, 4 + len);
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** 'ED25519', 'RSA', 'ECDSA', 'DSA' -- the names OpenSSH uses in its messages. */
export function keyTypeLabel(type: string): string {
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type === 'ssh-rsa' || type.startsWith('rsa-sha2-')) return 'RSA';
  if (type.startsWith('ecdsa-sha2-')) return 'ECDSA';
  if (type === 'ssh-dss') return 'DSA';
  if (type.startsWith('sk-ssh-ed25519')) return 'ED25519-SK';
  if (type.startsWith('sk-ecdsa-')) return 'ECDSA-SK';
  return type.toUpperCase();
}

/** A `|1|salt|hash` name for `name` (which must already be `knownHostName`-formatted). */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(name).digest();
  return `${HASH_MAGIC}${salt.toString('base64')}|${mac.toString('base64')}`;
}

function matchHashed(name: string, field: string): boolean {
  const parts = field.slice(HASH_MAGIC.length).split('|');
  if (parts.length !== 2) return false;
  const salt = Buffer.from(parts[0]!, 'base64');
  const want = Buffer.from(parts[1]!, 'base64');
  if (salt.length === 0 || want.length !== 20) return false;
  const mac = createHmac('sha1', salt).update(name).digest();
  return timingSafeEqual(mac, want);
}

/** OpenSSH `match_pattern`: `*` any run, `?` one character. Both sides already lowercased. */
export function matchPattern(s: string, pattern: string): boolean {
  // Iterative glob with backtracking on the last '*'.
  let si = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    const pc = pattern[pi];
    if (pc === '*') {
      star = pi++;
      mark = si;
    } else if (pc !== undefined && (pc === '?' || pc === s[si])) {
      pi++;
      si++;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[pi] === '*') pi++;
  return pi === pattern.length;
}

/** OpenSSH `match_hostname`: 1 = positive match, -1 = negated match, 0 = no match. */
function matchHostPatterns(name: string, patterns: string): 1 | 0 | -1 {
  let got: 1 | 0 = 0;
  for (const raw of patterns.split(',')) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (matchPattern(name, pattern)) {
      if (negated) return -1;
      got = 1;
    }
  }
  return got;
}

/** Does a known_hosts host field (pattern list or hash) name this host? */
export function hostFieldMatches(name: string, field: string): boolean {
  if (field.startsWith(HASH_MAGIC)) return matchHashed(name, field);
  return matchHostPatterns(name, field) === 1;
}

/** Key families compared like OpenSSH's `sshkey_type_plain` (all ECDSA curves are one type). */
function keyFamily(type: string): string {
  if (type.startsWith('ecdsa-sha2-')) return 'ecdsa';
  return type;
}

/** Parse one known_hosts file's text into its valid entries. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const fields = line.trim().split(/[ \t]+/);
    if (fields.length === 0 || fields[0] === '' || fields[0]!.startsWith('#')) continue;
    let marker: KnownHostMarker;
    if (fields[0]!.startsWith('@')) {
      if (fields[0] === '@revoked') marker = 'revoked';
      else if (fields[0] === '@cert-authority') marker = 'cert-authority';
      else continue; // unknown marker: OpenSSH skips the line
      fields.shift();
    }
    if (fields.length < 3) continue;
    const [hosts, typeField, b64] = fields as [string, string, string];
    if (b64.startsWith('#')) continue;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue; // also rejects legacy RSA1 "bits e n" lines
    const data = Buffer.from(b64, 'base64');
    const type = keyTypeOf(data);
    if (type === undefined) continue;
    // The type field must agree with the blob (certificates carry a different outer name).
    if (typeField !== type) continue;
    entries.push({ file, line: i + 1, marker, hosts, type, data, comment: fields.slice(3).join(' ') });
  }
  return entries;
}

interface CachedFile {
  mtimeMs: number;
  size: number;
  ino: number;
  /** The read in progress or done: connections opened together all share one read. */
  entries: Promise<KnownHostEntry[]>;
}
const parseCache = new Map<string, CachedFile>();

async function loadFile(file: string): Promise<KnownHostEntry[]> {
  let st;
  try {
    // Synchronous: a stat of a local file is cheaper than a trip through the thread pool, and every connection
    // checks its known_hosts files twice (algorithms to offer, then the key).
    st = statSync(file);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const cached = parseCache.get(file);
  if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size && cached.ino === st.ino) {
    return cached.entries;
  }
  const entries = readAndParse(file);
  parseCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino, entries });
  // A failed read is not kept: the next connection tries again.
  entries.catch(() => {
    if (parseCache.get(file)?.entries === entries) parseCache.delete(file);
  });
  return entries;
}

async function readAndParse(file: string): Promise<KnownHostEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isMissing(err)) return [];
    if (err && typeof err === 'object' && !(err as NodeJS.ErrnoException).path) (err as NodeJS.ErrnoException).path = file;
    throw err;
  }
  return parseKnownHosts(text, file);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class KnownHosts {
  readonly entries: readonly KnownHostEntry[];

  constructor(entries: readonly KnownHostEntry[]) {
    this.entries = entries;
  }

  /**
   * Read known_hosts files in order (user files first, then global ones, like OpenSSH).
   * Missing files are skipped; any other read error (EACCES, EISDIR) is thrown.
   * Parsed files are cached by (path, mtime, size, inode), so re-loading per connection is cheap.
   */
  static async load(files: readonly string[]): Promise<KnownHosts> {
    const all: KnownHostEntry[] = [];
    for (const file of files) all.push(...(await loadFile(file)));
    return new KnownHosts(all);
  }

  /** Entries (of any marker) whose host field names host:port. */
  entriesFor(host: string, port: number): KnownHostEntry[] {
    const name = knownHostName(host, port);
    return this.entries.filter((e) => hostFieldMatches(name, e.hosts));
  }

  /** Plain-key types recorded for host:port, in file order, without duplicates. */
  knownKeyTypes(host: string, port: number): string[] {
    const types: string[] = [];
    for (const e of this.entriesFor(host, port)) {
      if (e.marker === undefined && !types.includes(e.type)) types.push(e.type);
    }
    return types;
  }

  check(host: string, port: number, key: HostKey): KnownHostCheck {
    const matching = this.entriesFor(host, port);
    for (const e of matching) {
      if (e.marker === 'revoked' && e.data.equals(key.data)) {
        return { status: 'revoked', file: e.file, line: e.line };
      }
    }
    let changed: KnownHostEntry | undefined;
    for (const e of matching) {
      if (e.marker === undefined && e.data.equals(key.data)) return { status: 'match', file: e.file, line: e.line };
    }
    for (const e of matching) {
      if (e.marker !== undefined) continue;
      // Prefer reporting a line of the same key family as the presented key (most useful to the user);
      // otherwise the first line with a different key.
      if (changed === undefined || (keyFamily(e.type) === keyFamily(key.type) && keyFamily(changed.type) !== keyFamily(key.type))) {
        changed = e;
      }
    }
    if (changed) return { status: 'changed', file: changed.file, line: changed.line, knownType: changed.type };
    // A host vouched for by a CA only presents certificates to clients that can check them; this plain key cannot be
    // checked, and must not be recorded as if the host were new.
    const authority = matching.find((e) => e.marker === 'cert-authority');
    if (authority) return { status: 'cert-authority', file: authority.file, line: authority.line };
    return { status: 'unknown' };
  }
}

/**
 * ssh2's default host key algorithm order (ssh2 1.17 `DEFAULT_SERVER_HOST_KEY`), used to build an exact
 * `algorithms.serverHostKey` list.
 */
export const SSH2_DEFAULT_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Host key algorithms for ssh2's `algorithms.serverHostKey`, with the algorithms of the key types already
 * known for the host first (OpenSSH's `order_hostkeyalgs`), then ssh2's defaults. Pass the result of
 * `knownHosts.knownKeyTypes(host, port)`. Returns undefined when nothing is known (keep ssh2's defaults).
 */
export function hostKeyAlgorithmsFor(knownTypes: readonly string[]): string[] | undefined {
  if (knownTypes.length === 0) return undefined;
  const first: string[] = [];
  for (const t of knownTypes) {
    const algs = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : t === 'ssh-dss' ? ['ssh-dss'] : [t];
    for (const a of algs) {
      if ((SSH2_DEFAULT_HOST_KEY_ALGORITHMS.includes(a) || a === 'ssh-dss') && !first.includes(a)) first.push(a);
    }
  }
  if (first.length === 0) return undefined;
  return [...first, ...SSH2_DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}

/** The known_hosts line for a host key (no newline). */
export function formatKnownHostLine(host: string, port: number, key: HostKey, options: { hash?: boolean } = {}): string {
  const name = knownHostName(host, port);
  const field = options.hash ? hashHostName(name) : name;
  return `${field} ${key.type} ${key.data.toString('base64')}`;
}

// Appends are serialized per (resolved) file within the process.
const appendQueues = new Map<string, Promise<unknown>>();

/**
 * Record `key` for host:port in `file`, safely, the way ssh(1) does -- by appending:
 * - the line (preceded by a newline when the file lacks a final one) is written with O_APPEND in one write() and
 *   fsynced: the existing bytes are never rewritten, and appends from other processes at the same moment (another
 *   fab, ssh itself) each land whole -- a rewrite-and-rename would drop the lines they added meanwhile;
 * - a symlinked file is appended to at its target; mode and owner are untouched; a new file gets 0600 and a
 *   missing parent directory is created 0700;
 * - appends to the same file are serialized within the process, and a key already recorded for the host
 *   (re-read under the lock) is not written twice.
 * Resolves to true when a line was written, false when the entry was already there.
 */
export function appendKnownHost(
  file: string,
  host: string,
  port: number,
  key: HostKey,
  options: { hash?: boolean } = {},
): Promise<boolean> {
  const run = async (): Promise<boolean> => {
    const target = await resolveTarget(file);
    const previous = appendQueues.get(target) ?? Promise.resolve();
    const mine = previous.then(
      () => appendNow(target, host, port, key, options),
      () => appendNow(target, host, port, key, options),
    );
    appendQueues.set(target, mine);
    try {
      return await mine;
    } finally {
      if (appendQueues.get(target) === mine) appendQueues.delete(target);
    }
  };
  return run();
}

async function resolveTarget(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (err) {
    if (isMissing(err)) return file;
    throw err;
  }
}

async function appendNow(file: string, host: string, port: number, key: HostKey, options: { hash?: boolean }): Promise<boolean> {
  let existing: Buffer | undefined;
  try {
    existing = await readFile(file);
  } catch (err) {
    if (!isMissing(err)) throw err;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  }
  if (existing) {
    const already = new KnownHosts(parseKnownHosts(existing.toString('utf8'), file))
      .entriesFor(host, port)
      .some((e) => e.marker === undefined && e.data.equals(key.data));
    if (already) return false;
  }
  const fh = await open(file, fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o600);
  try {
    // Decided on the file as it is now, not as read above: another process may have appended since.
    const { size } = await fh.stat();
    const last = Buffer.alloc(1);
    if (size > 0) await fh.read(last, 0, 1, size - 1);
    const needsNewline = size > 0 && last[0] !== 0x0a;
    const line = Buffer.from(`${needsNewline ? '\n' : ''}${formatKnownHostLine(host, port, key, options)}\n`);
    const { bytesWritten } = await fh.write(line, 0, line.length);
    if (bytesWritten !== line.length) throw Object.assign(new Error(`short write to ${file}`), { code: 'EIO' });
    await fh.sync();
  } finally {
    await fh.close();
  }
  parseCache.delete(file);
  return true;
}
