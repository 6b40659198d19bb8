/**
 * Private key files: reading, parsing (via ssh2's `utils.parseKey`) and clear errors.
 *
 * Formats: OpenSSH (`BEGIN OPENSSH PRIVATE KEY`, encrypted or not), PEM (`BEGIN RSA|EC|DSA PRIVATE KEY`,
 * encrypted or not), PuTTY .ppk (what ssh2 reads), plus PKCS#8 (`BEGIN PRIVATE KEY` /
 * `BEGIN ENCRYPTED PRIVATE KEY`, as written by OpenSSL 3 and `ssh-keygen -m PKCS8`), which ssh2 does not
 * read and which is converted here with node:crypto.
 */
import { createHash, createPrivateKey, randomBytes, sign as signWith, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { ParsedKey } from 'ssh2';
import { FabError } from '../errors.ts';
import { parseKey } from './ssh2-modules.ts';
import { optimizeFromNowOn } from '../util/v8-flags.ts';

/**
 * Keys tried when no identity is forced off (`-k`) -- ED25519 first, then ECDSA, then RSA.
 * OpenSSH's own order is id_rsa, id_ecdsa, id_ecdsa_sk, id_ed25519, ...; we put the modern key first
 * because each rejected key costs one of the server's MaxAuthTries (default 6) and a user who has both
 * usually authorized the newer one, and because servers increasingly refuse RSA/SHA-1. Security keys
 * (`*_sk`) and DSA are left out: ssh2 cannot use the former, servers refuse the latter.
 */
export const DEFAULT_IDENTITIES: readonly string[] = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];

/** `~` and `~/...` -> the home directory (`$HOME`). Other paths are returned unchanged. */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return homedir() + path.slice(1);
  return path;
}

/** The home directory written back as `~`, for messages. */
export function displayPath(path: string): string {
  const home = homedir();
  if (home && home !== '/' && (path === home || path.startsWith(home + '/'))) return '~' + path.slice(home.length);
  return path;
}

export type KeyLoadReason =
  | 'missing'
  | 'unreadable'
  | 'not-a-key'
  | 'public-key'
  | 'unsupported'
  | 'needs-passphrase'
  | 'bad-passphrase';

/** A key file that could not be used. Its message is one line naming the file; it never holds a passphrase. */
export class KeyLoadError extends FabError {
  override name = 'KeyLoadError';
  readonly reason: KeyLoadReason;
  /** The expanded path. */
  readonly file: string;

  constructor(reason: KeyLoadReason, file: string, message: string, options: { host?: string; cause?: unknown } = {}) {
    super('AUTH_FAILED', message, options);
    this.reason = reason;
    this.file = file;
  }

  /** The key is encrypted and no passphrase was given: ask for one and call `loadPrivateKey` again. */
  get needsPassphrase(): boolean {
    return this.reason === 'needs-passphrase';
  }
}

export interface KeyFileInfo {
  /** The expanded path. */
  file: string;
  encrypted: boolean;
  /** The usable private key, when the file is not encrypted. */
  privateKey?: ParsedKey;
  /**
   * The public half: always when not encrypted; when encrypted, if it can be read without the passphrase
   * (from the OpenSSH key header, or from `FILE.pub`).
   */
  publicKey?: ParsedKey;
}

const MAX_KEY_FILE = 1024 * 1024;

async function readKeyFile(file: string): Promise<string> {
  const shown = displayPath(file);
  let size: number;
  try {
    const st = await stat(file);
    if (st.isDirectory()) {
      throw new KeyLoadError('unreadable', file, `${shown}: identity file is a directory; pass the private key file itself.`);
    }
    size = st.size;
  } catch (err) {
    if (err instanceof KeyLoadError) throw err;
    throw fsError(err, file);
  }
  if (size > MAX_KEY_FILE) {
    throw new KeyLoadError('not-a-key', file, `${shown}: not a private key (file too large); pass your private key file, e.g. ~/.ssh/id_ed25519.`);
  }
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw fsError(err, file);
  }
}

function fsError(err: unknown, file: string): KeyLoadError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const shown = displayPath(file);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new KeyLoadError('missing', file, `${shown}: identity file not found; check the path given with -i / keyFilename / IdentityFile.`, {
      cause: err,
    });
  }
  return new KeyLoadError('unreadable', file, `${shown}: cannot read identity file (${code ?? String(err)}); check its permissions.`, {
    cause: err,
  });
}

const PKCS8_PLAIN = '-----BEGIN PRIVATE KEY-----';
const PKCS8_ENCRYPTED = '-----BEGIN ENCRYPTED PRIVATE KEY-----';

function isNoPassphraseError(e: Error): boolean {
  return /no passphrase given/i.test(e.message);
}

function publicFromBlob(blob: Buffer): ParsedKey | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const type = blob.toString('latin1', 4, 4 + len);
  const parsed = parseKey(`${type} ${blob.toString('base64')}`);
  return parsed instanceof Error ? undefined : parsed;
}

/** The public key blob stored in clear in an `openssh-key-v1` file, even when the private part is encrypted. */
function opensshHeaderPublicBlob(text: string): Buffer | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return undefined;
  const data = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (data.toString('latin1', 0, magic.length) !== magic) return undefined;
  let pos = magic.length;
  const readString = (): Buffer | undefined => {
    if (pos + 4 > data.length) return undefined;
    const len = data.readUInt32BE(pos);
    pos += 4;
    if (pos + len > data.length) return undefined;
    const out = data.subarray(pos, pos + len);
    pos += len;
    return out;
  };
  if (!readString() || !readString() || !readString()) return undefined; // cipher, kdf, kdf options
  if (pos + 4 > data.length) return undefined;
  const nkeys = data.readUInt32BE(pos);
  pos += 4;
  if (nkeys < 1) return undefined;
  return readString();
}

async function publicFromPubFile(file: string): Promise<ParsedKey | undefined> {
  try {
    const text = await readFile(file + '.pub', 'utf8');
    const parsed = parseKey(text);
    return parsed instanceof Error ? undefined : parsed;
  } catch {
    return undefined;
  }
}

function sshString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** An unencrypted OpenSSH-format PEM for an Ed25519 key (ssh2 reads Ed25519 only in that format). */
function ed25519OpenSshPem(seed: Buffer, pub: Buffer): string {
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString('')]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const nkeys = Buffer.alloc(4);
  nkeys.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    nkeys,
    sshString(pubBlob),
    sshString(priv),
  ]);
  const b64 = body.toString('base64').replace(/(.{70})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** PKCS#8 -> a format ssh2 reads. Throws node's crypto error on a bad passphrase. */
function convertPkcs8(text: string, passphrase: string | undefined): ParsedKey | Error {
  const key = createPrivateKey({ key: text, format: 'pem', ...(passphrase === undefined ? {} : { passphrase }) });
  let pem: string;
  switch (key.asymmetricKeyType) {
    case 'rsa':
      pem = key.export({ type: 'pkcs1', format: 'pem' }) as string;
      break;
    case 'ec':
      pem = key.export({ type: 'sec1', format: 'pem' }) as string;
      break;
    case 'ed25519': {
      const jwk = key.export({ format: 'jwk' });
      pem = ed25519OpenSshPem(Buffer.from(jwk.d ?? '', 'base64url'), Buffer.from(jwk.x ?? '', 'base64url'));
      break;
    }
    default:
      return new Error(`${key.asymmetricKeyType ?? 'unknown'} keys are not supported`);
  }
  return parseKey(pem);
}

function unsupported(file: string, detail: string): KeyLoadError {
  const shown = displayPath(file);
  return new KeyLoadError(
    'unsupported',
    file,
    `${shown}: unsupported private key (${detail}); convert it to the OpenSSH format with: ssh-keygen -p -f ${shown}`,
  );
}

function notAKey(file: string): KeyLoadError {
  return new KeyLoadError(
    'not-a-key',
    file,
    `${displayPath(file)}: not a private key; pass your private key file, e.g. ~/.ssh/id_ed25519 (not the .pub).`,
  );
}

function publicKeyGiven(file: string): KeyLoadError {
  const shown = displayPath(file);
  const priv = shown.endsWith('.pub') ? shown.slice(0, -4) : undefined;
  return new KeyLoadError(
    'public-key',
    file,
    `${shown}: this is a public key; pass the private key file${priv ? ` (${priv})` : ''} instead.`,
  );
}

function needsPassphrase(file: string): KeyLoadError {
  const shown = displayPath(file);
  return new KeyLoadError(
    'needs-passphrase',
    file,
    `${shown}: key is encrypted and no passphrase was given; add it to ssh-agent (ssh-add ${shown}) or provide the passphrase.`,
  );
}

function badPassphrase(file: string): KeyLoadError {
  const shown = displayPath(file);
  return new KeyLoadError(
    'bad-passphrase',
    file,
    `${shown}: wrong passphrase for the key; try again, or add it to ssh-agent (ssh-add ${shown}).`,
  );
}

/**
 * Parse key text. Returns the private key, or throws a KeyLoadError. `passphrase` undefined means
 * "none given" (an encrypted key then throws reason 'needs-passphrase').
 */
function parsePrivate(text: string, file: string, passphrase: string | undefined): ParsedKey {
  return signingOnce(parseUnsigned(text, file, passphrase));
}

/** The hash each key type signs with when ssh2 names none (as ssh2's key parser sets it; ed25519 hashes itself). */
const DEFAULT_HASH: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'ssh-rsa': 'sha1',
  'ssh-dss': 'sha1',
};

/**
 * ssh2 signs with the key's PEM text, which OpenSSL 3 decodes anew for every signature (~0.5 ms of CPU, most of
 * it looking up decoders): one signature per connection. Here the key signs with a KeyObject made once, with
 * the same hash and the same result (or Error) as ssh2's sign().
 */
function signingOnce(key: ParsedKey): ParsedKey {
  const pem = key.getPrivatePEM();
  const hash = DEFAULT_HASH[key.type];
  if (!pem || hash === undefined) return key;
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(pem);
  } catch {
    return key;
  }
  // ssh2's own sign() returns the Error rather than throwing it (its callers check): so does this one.
  (key as { sign: (data: Buffer | string, algo?: string) => Buffer | Error }).sign = (data, algo) => {
    try {
      return signWith(algo || hash, typeof data === 'string' ? Buffer.from(data) : data, keyObject);
    } catch (error) {
      return error as Error;
    }
  };
  return key;
}

function parseUnsigned(text: string, file: string, passphrase: string | undefined): ParsedKey {
  const given = passphrase !== undefined && passphrase !== '' ? passphrase : undefined;
  if (text.includes(PKCS8_PLAIN) || text.includes(PKCS8_ENCRYPTED)) {
    const encrypted = text.includes(PKCS8_ENCRYPTED);
    if (encrypted && given === undefined) throw needsPassphrase(file);
    let parsed: ParsedKey | Error;
    try {
      parsed = convertPkcs8(text, encrypted ? given : undefined);
    } catch (err) {
      if (encrypted) throw badPassphrase(file);
      throw unsupported(file, (err as Error).message);
    }
    if (parsed instanceof Error) throw unsupported(file, parsed.message);
    return parsed;
  }

  const first = parseKey(text);
  if (!(first instanceof Error)) {
    if (!first.isPrivateKey()) throw publicKeyGiven(file);
    return first;
  }
  if (!isNoPassphraseError(first)) {
    if (/Unsupported key format/i.test(first.message)) {
      if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) throw unsupported(file, 'unknown PEM type');
      throw notAKey(file);
    }
    throw unsupported(file, first.message);
  }
  // Encrypted.
  if (given === undefined) throw needsPassphrase(file);
  optimizeFromNowOn();
  const second = parseKey(text, given);
  if (second instanceof Error) {
    // We know the key is encrypted and well-formed enough to say so: a failure now is the passphrase.
    if (/passphrase|integrity|malformed|bad decrypt/i.test(second.message)) throw badPassphrase(file);
    throw unsupported(file, second.message);
  }
  return second;
}

/**
 * Load a private key. `path` may start with `~`. Throws KeyLoadError with `reason`:
 * 'missing', 'unreadable', 'not-a-key', 'public-key', 'unsupported', 'needs-passphrase' (encrypted, no
 * passphrase given; `err.needsPassphrase` is true), 'bad-passphrase'.
 */
export function loadPrivateKey(path: string, passphrase?: string): Promise<ParsedKey> {
  const file = expandHome(path);
  // Decrypting costs bcrypt rounds (~0.1 s of CPU): once per key and passphrase, not once per host.
  const tag = passphrase === undefined ? 'none' : createHash('sha256').update(passphrase).digest('hex');
  return cachedPerFile(file, `load:${tag}`, async () => parsePrivate(await readKeyFile(file), file, passphrase));
}

/**
 * Parsed key files of this process, by file and what is asked of it, valid while the file's inode, size and
 * mtime stay the same: a run over many hosts reads and parses each identity file once, not once per host.
 * Failures are not kept (a missing key may appear, a passphrase may be retried).
 */
const parsed = new Map<string, { signature: string; value: Promise<unknown> }>();

function cachedPerFile<T>(file: string, what: string, compute: () => Promise<T>): Promise<T> {
  let st;
  try {
    st = statSync(file, { throwIfNoEntry: false });
  } catch {
    st = undefined;
  }
  if (!st) return compute(); // missing or unreadable: readKeyFile says so, in its words
  const key = `${what}\0${file}`;
  const signature = `${st.ino}:${st.size}:${st.mtimeMs}`;
  const hit = parsed.get(key);
  if (hit?.signature === signature) return hit.value as Promise<T>;
  const value = compute();
  parsed.set(key, { signature, value });
  value.catch(() => {
    if (parsed.get(key)?.value === value) parsed.delete(key);
  });
  return value;
}

/**
 * Look at a key file without a passphrase: is it usable now, and what is its public half?
 * Throws KeyLoadError for 'missing', 'unreadable', 'not-a-key', 'public-key', 'unsupported'.
 */
export function inspectPrivateKey(path: string): Promise<KeyFileInfo> {
  const file = expandHome(path);
  return cachedPerFile(file, 'inspect', () => inspectKeyFile(file));
}

async function inspectKeyFile(file: string): Promise<KeyFileInfo> {
  const text = await readKeyFile(file);
  try {
    const privateKey = parsePrivate(text, file, undefined);
    return { file, encrypted: false, privateKey, publicKey: publicFromBlob(privateKey.getPublicSSH()) ?? privateKey };
  } catch (err) {
    if (!(err instanceof KeyLoadError) || err.reason !== 'needs-passphrase') throw err;
  }
  const blob = opensshHeaderPublicBlob(text);
  const publicKey = (blob && publicFromBlob(blob)) || (await publicFromPubFile(file));
  return publicKey ? { file, encrypted: true, publicKey } : { file, encrypted: true };
}
