/**
 * Host key verification for ssh2's `hostVerifier`, with fabts' policies:
 * - 'accept-new' (default): known key -> accept; unknown host -> record it in `writeFile` and warn
 *   ("Permanently added ..."), or refuse when there is none (`UserKnownHostsFile none`); changed or revoked key -> refuse.
 * - 'ask' (ssh_config `StrictHostKeyChecking ask`): an unknown host is shown with its fingerprint and recorded only
 *   when the person at the terminal says yes (or pastes the fingerprint); with no terminal, refused.
 * - 'strict': only keys already in the known_hosts files are accepted.
 * - 'off': accept anything and write nothing, but, like OpenSSH with `StrictHostKeyChecking no`, warn loudly when a
 *   recorded key differs (and then offer no password: the other end may be an impostor), and refuse a @revoked key.
 * A host whose known_hosts entries are `@cert-authority` lines only is refused under every policy but 'off': ssh2
 * cannot check host certificates, and recording its plain key would trust an unverified one.
 * When `verify` resolves false, `error` holds a FabError('HOST_KEY') whose one-line message says why and
 * what to do.
 */
import { FabError } from '../errors.ts';
import {
  KnownHosts,
  appendKnownHost,
  fingerprint,
  keyTypeLabel,
  keyTypeOf,
  knownHostName,
  hostKeyAlgorithmsFor,
} from './known-hosts.ts';
import { expandHome } from './keys.ts';

export type HostKeyPolicy = 'accept-new' | 'ask' | 'strict' | 'off';

export interface HostVerifierOptions {
  policy: HostKeyPolicy;
  /** known_hosts files to read, in order (UserKnownHostsFile..., then GlobalKnownHostsFile...). */
  files: string[];
  /** Where 'accept-new' records new hosts: the first UserKnownHostsFile. */
  writeFile: string | undefined;
  /** The name recorded in known_hosts: HostKeyAlias if set, else HostName. */
  host: string;
  port: number;
  /** How the user calls the host (the alias / host string); defaults to `host`. */
  displayName?: string;
  /** Record new hosts hashed (ssh_config HashKnownHosts). Default false. */
  hash?: boolean;
  onWarning?: (msg: string) => void;
  /**
   * 'ask': puts the question to the person at the terminal; resolves their answer, or undefined when no one can
   * answer (no terminal, --abort-on-prompts).
   */
  ask?: (question: string) => Promise<string | undefined>;
  /** 'ask': called just before the question, so the caller can stop its handshake timer while a person reads. */
  onAsk?: () => void;
}

export interface HostVerifier {
  /** Verify a raw SSH wire-format public key blob (what ssh2 passes to `hostVerifier`). */
  verify(key: Buffer): Promise<boolean>;
  /** ssh2's callback form: `new Client().connect({ hostVerifier: v.hostVerifier, ... })`. */
  readonly hostVerifier: (key: Buffer, callback: (ok: boolean) => void) => void;
  /** Why the last `verify` refused the key (set only when it resolved false). */
  readonly error: FabError | undefined;
  /** Fingerprint of the last key verified (for logs), e.g. 'SHA256:...'. */
  readonly fingerprint: string | undefined;
  /** Set when policy 'off' let in a key that differs from the recorded one: send no password over this connection. */
  readonly untrusted: boolean;
  /**
   * Exact list for ssh2's `algorithms.serverHostKey` that prefers the key types already known for the
   * host (like OpenSSH), so a host known by its RSA key is not reported as changed when it also offers
   * ED25519. Undefined when nothing is known or the policy is 'off' (keep ssh2's defaults).
   */
  hostKeyAlgorithms(): Promise<string[] | undefined>;
}

/** Single-quote for a POSIX shell when needed. */
function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function makeHostVerifier(options: HostVerifierOptions): HostVerifier {
  const { policy, host, port } = options;
  const files = options.files.map(expandHome);
  const writeFile = options.writeFile === undefined ? undefined : expandHome(options.writeFile);
  const display = options.displayName ?? host;
  const lookupName = knownHostName(host, port);
  let lastError: FabError | undefined;
  let lastFingerprint: string | undefined;
  let untrusted = false;

  const fail = (message: string): false => {
    lastError = new FabError('HOST_KEY', message, { host: display });
    return false;
  };

  async function verify(key: Buffer): Promise<boolean> {
    lastError = undefined;
    const fp = fingerprint(key);
    lastFingerprint = fp;
    const type = keyTypeOf(key);
    if (policy === 'off') {
      if (type !== undefined) await warnWhileOff(type, key, fp);
      return lastError === undefined;
    }
    if (type === undefined) return fail(`${display}: the server sent a malformed host key; refusing to connect.`);
    const label = keyTypeLabel(type);

    let known: KnownHosts;
    try {
      known = await KnownHosts.load(files);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return fail(`${display}: cannot read known_hosts file ${e.path ?? ''} (${e.code ?? e.message}); fix its permissions or set knownHostsFile.`);
    }

    const result = known.check(host, port, { type, data: key });
    switch (result.status) {
      case 'match':
        return true;
      case 'revoked':
        return fail(revokedMessage(label, fp, result));
      case 'cert-authority':
        return fail(
          `${display}: ${result.file}:${result.line} says the host keys of ${lookupName} are signed by a certificate authority, ` +
            `but fabts cannot check host certificates (its SSH library, ssh2, has no support for them); refusing its plain ` +
            `${label} key ${fp}. After checking that fingerprint, add the plain key to known_hosts (ssh-keyscan), or use ssh`,
        );
      case 'changed':
        return fail(
          `${display}: HOST KEY CHANGED for ${lookupName} -- possible man-in-the-middle attack: ${changedWhat(label, fp, result)}. ` +
            `If the change is expected, remove the old entry with: ssh-keygen -R ${shq(lookupName)} -f ${shq(result.file)}`,
        );
      case 'unknown':
        break;
    }

    if (writeFile === undefined) {
      // `UserKnownHostsFile none`: nothing to check against and nowhere to record, so refused, as ssh does.
      return fail(
        `${display}: host key for ${lookupName} (${label} ${fp}) cannot be checked: no known_hosts file is configured ` +
          `(UserKnownHostsFile none); name one (knownHostsFile), or skip host key checking with -D`,
      );
    }
    if (policy === 'strict') {
      return fail(
        `${display}: host key for ${lookupName} is not known (${label} ${fp}) and host key checking is strict; ` +
          `after checking the fingerprint, connect once with hostKeyPolicy 'accept-new' (without -r) or run: ${keyscan(type, writeFile)}`,
      );
    }
    if (policy === 'ask' && !(await confirmed(label, fp, writeFile, type))) return false;

    // accept-new, or ask answered yes
    try {
      const added = await appendKnownHost(writeFile, host, port, { type, data: key }, { hash: options.hash ?? false });
      if (added) {
        // Reporters print warnings as `Warning: ...` already.
        options.onWarning?.(`Permanently added '${lookupName}' (${label}) to the list of known hosts.`);
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // Like OpenSSH: the key is accepted for this connection even if it cannot be recorded.
      options.onWarning?.(
        `Warning: failed to add '${lookupName}' (${label} ${fp}) to the list of known hosts ${writeFile}: ${e.code ?? e.message}`,
      );
    }
    return true;
  }

  function revokedMessage(label: string, fp: string, at: { file: string; line: number }): string {
    return `${display}: the ${label} host key ${fp} is marked @revoked in ${at.file}:${at.line}; refusing to connect.`;
  }

  function changedWhat(label: string, fp: string, result: { file: string; line: number; knownType: string }): string {
    const knownLabel = keyTypeLabel(result.knownType);
    const where = `${result.file}:${result.line}`;
    return knownLabel === label
      ? `the server sent ${label} host key ${fp}, which differs from the one in ${where}`
      : `the server sent ${label} host key ${fp}, but ${where} lists its ${knownLabel} key instead`;
  }

  function keyscan(type: string, file: string): string {
    const alg = type.startsWith('ecdsa-sha2-') ? 'ecdsa' : type === 'ssh-ed25519' ? 'ed25519' : type === 'ssh-rsa' ? 'rsa' : type;
    const portArg = port === 22 ? '' : `-p ${port} `;
    return `ssh-keyscan ${portArg}-t ${alg} ${shq(stripBrackets(host))} >> ${shq(file)}`;
  }

  /** -D: nothing is checked, but a differing recorded key is said out loud, and a revoked one is still refused. */
  async function warnWhileOff(type: string, key: Buffer, fp: string): Promise<void> {
    let known: KnownHosts;
    try {
      known = await KnownHosts.load(files);
    } catch {
      return; // -D reads nothing it cannot: an unreadable file is no reason to stop
    }
    const label = keyTypeLabel(type);
    const result = known.check(host, port, { type, data: key });
    if (result.status === 'revoked') fail(revokedMessage(label, fp, result));
    if (result.status !== 'changed') return;
    untrusted = true;
    options.onWarning?.(
      `REMOTE HOST IDENTIFICATION HAS CHANGED for ${lookupName}: ${changedWhat(label, fp, result)}. Someone could be ` +
        `eavesdropping on you right now (man-in-the-middle attack). Connecting anyway because host key checking is off (-D); ` +
        `password authentication is disabled for this connection.`,
    );
  }

  /** 'ask': shows the fingerprint and waits for yes, no or the fingerprint itself, as ssh does. */
  async function confirmed(label: string, fp: string, file: string, type: string): Promise<boolean> {
    const question =
      `The authenticity of host '${lookupName}' can't be established. ${label} key fingerprint is ${fp}. ` +
      `Are you sure you want to continue connecting (yes/no/[fingerprint])?`;
    options.onAsk?.();
    let answer: string | undefined;
    try {
      answer = await options.ask?.(question);
    } catch {
      answer = undefined;
    }
    if (answer === undefined) {
      return fail(
        `${display}: host key for ${lookupName} is not known (${label} ${fp}) and StrictHostKeyChecking is ask, but there is no ` +
          `terminal to ask at; after checking the fingerprint, run: ${keyscan(type, file)} (or use StrictHostKeyChecking accept-new)`,
      );
    }
    const reply = answer.trim();
    if (reply.toLowerCase() === 'yes' || reply === fp) return true;
    return fail(`${display}: host key for ${lookupName} (${label} ${fp}) not accepted at the prompt; refusing to connect.`);
  }

  return {
    verify,
    hostVerifier(key: Buffer, callback: (ok: boolean) => void): void {
      verify(key).then(callback, (err: unknown) => {
        lastError = new FabError('HOST_KEY', `${display}: host key verification failed: ${(err as Error)?.message ?? String(err)}`, {
          host: display,
          cause: err,
        });
        callback(false);
      });
    },
    get error() {
      return lastError;
    },
    get fingerprint() {
      return lastFingerprint;
    },
    get untrusted() {
      return untrusted;
    },
    async hostKeyAlgorithms() {
      if (policy === 'off') return undefined;
      try {
        const known = await KnownHosts.load(files);
        return hostKeyAlgorithmsFor(known.knownKeyTypes(host, port));
      } catch {
        return undefined; // verify() will report the read error
      }
    },
  };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
