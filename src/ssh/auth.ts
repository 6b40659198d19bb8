/**
 * The user authentication plan, as an ssh2 `authHandler` (function form).
 *
 * Order (like OpenSSH's PreferredAuthentications "publickey,keyboard-interactive,password"):
 *   0. 'none'  -- sent first, as OpenSSH does, to learn which methods the server accepts;
 *   1. agent   -- every key of the ssh-agent at `agent` (skipped silently if the socket is absent);
 *   2. keys    -- explicit identity files (-i / keyFilename) in order, then `configIdentityFiles`
 *                 (ssh_config IdentityFile), then DEFAULT_IDENTITIES when `useDefaultIdentities`;
 *                 a key already offered (by the agent or an earlier file) is not offered twice;
 *   3. keyboard-interactive -- password-looking prompts answered with the password;
 *   4. password.
 * A method the server did not list is not offered (but stays pending: after a partial success the
 * server may list it). Passwords and passphrases are asked for lazily, only when a method needs them:
 * `getPassword` at most once per handler, `getPassphrase(file)` for an encrypted key only once the
 * server has accepted its public key (when the public half is readable without the passphrase).
 *
 * Missing, unreadable or invalid explicit identity files stop authentication before anything is
 * sent, with a FabError naming the file (`failure()` returns it). Missing default or ssh_config keys
 * are skipped silently, like OpenSSH.
 */
import { stat } from 'node:fs/promises';
import type {
  AgentAuthMethod,
  AnyAuthMethod,
  AuthHandlerMiddleware,
  AuthenticationType,
  KeyboardInteractiveAuthMethod,
  ParsedKey,
  Prompt,
} from 'ssh2';
import { runLocal } from '../env/context.ts';
import { FabError } from '../errors.ts';
import { loadAgents } from './ssh2-modules.ts';
import { DEFAULT_IDENTITIES, KeyLoadError, displayPath, expandHome, inspectPrivateKey, loadPrivateKey, type KeyFileInfo } from './keys.ts';


const { BaseAgent, createAgent } = loadAgents();

export interface AuthOptions {
  /** The host as the user names it (used in messages and FabError.host). */
  host: string;
  username: string;
  /** ssh-agent socket path (SSH_AUTH_SOCK or IdentityAgent); undefined = no agent. */
  agent?: string;
  /** Explicit identities (-i / env.keyFilename), tried in order; a missing one is an error. */
  identityFiles: string[];
  /** IdentityFile entries from ssh_config, tried after identityFiles; missing ones are skipped silently. */
  configIdentityFiles?: string[];
  /** Also try DEFAULT_IDENTITIES (false with -k / noKeys, or IdentitiesOnly rules decided by the caller). */
  useDefaultIdentities: boolean;
  /**
   * ssh_config IdentitiesOnly: offer only the agent keys that match one of identityFiles /
   * configIdentityFiles (by public key, read from the key file or FILE.pub), like OpenSSH.
   */
  identitiesOnly?: boolean;
  /** env.password / per-host password / prompt; called lazily, at most once. */
  getPassword?: () => Promise<string | undefined>;
  /** Passphrase for an encrypted key (gets the expanded path); called lazily. */
  getPassphrase?: (file: string) => Promise<string | undefined>;
  /** Debug lines (never contain secrets). */
  onDebug?: (msg: string) => void;
}

export interface AuthHandle {
  /** Pass as ssh2 ConnectConfig.authHandler. */
  authHandler: AuthHandlerMiddleware;
  /** Labels of the methods offered so far, e.g. ['agent', 'publickey ~/.ssh/id_ed25519', 'password']. */
  methodsTried(): string[];
  /** Why authentication failed: a FabError('AUTH_FAILED'), or the fatal error that stopped it. */
  failure(): FabError;
  /** The signature algorithms the server announced (RFC 8308 server-sig-algs), before authentication. */
  setServerSigAlgs(algorithms: string[]): void;
}

/** RSA signatures in OpenSSH's order of preference: the strongest the server takes is used. */
const RSA_SIGNATURES: [algorithm: string, hash: string][] = [
  ['rsa-sha2-512', 'sha512'],
  ['rsa-sha2-256', 'sha256'],
];

/**
 * An RSA key as keys signing with each SHA-2 algorithm in server-sig-algs, the strongest first. ssh2 picks
 * rsa-sha2-256 whenever the server lists it, which a server that accepts only rsa-sha2-512 refuses (OpenSSH
 * announces both whatever it accepts); a key whose type names the algorithm makes ssh2 send that name, and its
 * signatures use the matching hash. Empty: leave it to ssh2.
 */
function rsaSigning(key: ParsedKey, serverSigAlgs: string[] | undefined): { key: ParsedKey; algorithm: string }[] {
  if (key.type !== 'ssh-rsa' || !serverSigAlgs) return [];
  return RSA_SIGNATURES.filter(([algorithm]) => serverSigAlgs.includes(algorithm)).map(([algorithm, hash]) => {
    const signing = Object.create(key) as ParsedKey;
    Object.defineProperty(signing, 'type', { value: algorithm });
    Object.defineProperty(signing, 'sign', { value: (data: Buffer, given?: string) => key.sign(data, given || hash) });
    return { key: signing, algorithm };
  });
}

type Step =
  | { kind: 'agent'; socket: string }
  | { kind: 'key'; path: string; source: 'explicit' | 'config' | 'default' }
  | { kind: 'keyboard-interactive' }
  | { kind: 'password' };

type NextFn = (next: AnyAuthMethod | false) => void;

const OTP_PROMPT = /code|token|otp|one[- ]time|verif|\bpin\b/i;
const PASSWORD_PROMPT = /pass(word|wort|wd|phrase)?\b|mot de passe|contrase|senha|parol|пароль|密码|パスワード/i;

/** Does this keyboard-interactive prompt ask for the account password? */
export function isPasswordPrompt(prompt: Prompt, promptCount: number): boolean {
  if (OTP_PROMPT.test(prompt.prompt)) return false;
  if (PASSWORD_PROMPT.test(prompt.prompt)) return true;
  return prompt.echo === false && promptCount === 1;
}

/**
 * ssh2 emits 'error' on the Client for problems it recovers from during authentication (an agent that
 * cannot be reached or refuses to sign, a key that fails to sign) and then carries on with the next
 * method. The connection layer must ignore those; only 'All configured authentication methods failed'
 * (level 'client-authentication') ends authentication -- then use `failure()`.
 */
export function isRecoverableAuthError(err: unknown): boolean {
  const e = err as { level?: string; message?: string } | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.level === 'agent') return true;
  if (e.level === 'client-authentication') return !/All configured authentication methods failed/.test(e.message ?? '');
  return false;
}

/**
 * Keys unlocked with a passphrase, shared by all connections of a run: bcrypt-pbkdf decryption is slow (and
 * synchronous), and the passphrase should be asked once, not once per host. Per run (env/context.ts), never per
 * process: an unlocked key is as good as its passphrase, and another run in the process may not know it.
 */
class UnlockedKeys {
  readonly decrypted = new Map<string, { mtimeMs: number; size: number; key: ParsedKey }>();
  /** Unlocks in progress, so parallel connections wait for one passphrase prompt instead of each asking. */
  readonly unlocking = new Map<string, Promise<ParsedKey>>();
}
const unlockedKeys = runLocal(() => new UnlockedKeys());

async function cachedDecrypted({ decrypted: decryptedKeys }: UnlockedKeys, file: string): Promise<ParsedKey | undefined> {
  const hit = decryptedKeys.get(file);
  if (!hit) return undefined;
  try {
    const st = await stat(file);
    if (st.mtimeMs === hit.mtimeMs && st.size === hit.size) return hit.key;
  } catch {
    /* fall through */
  }
  decryptedKeys.delete(file);
  return undefined;
}

async function rememberDecrypted({ decrypted: decryptedKeys }: UnlockedKeys, file: string, key: ParsedKey): Promise<void> {
  try {
    const st = await stat(file);
    decryptedKeys.set(file, { mtimeMs: st.mtimeMs, size: st.size, key });
  } catch {
    /* not cached */
  }
}

type IdentityCb = (err: Error | null | undefined, keys?: ParsedKey[]) => void;
type SignCb = (err: Error | null | undefined, signature?: Buffer) => void;

function splitSignArgs(options: unknown, cb: unknown): { opts: { hash?: string }; done: SignCb } {
  if (typeof options === 'function') return { opts: {}, done: options as SignCb };
  return { opts: (options ?? {}) as { hash?: string }, done: cb as SignCb };
}

/** The real ssh-agent, noting which public keys it offered (so files are not offered twice). */
class RecordingAgent extends BaseAgent<ParsedKey> {
  private readonly inner: InstanceType<typeof BaseAgent>;
  constructor(
    socket: string,
    private readonly onKeys: (keys: ParsedKey[]) => void,
    /** Public key blobs allowed (IdentitiesOnly); undefined = all agent keys. */
    private readonly allowed?: Buffer[],
  ) {
    super();
    this.inner = createAgent(socket);
  }
  getIdentities(cb: IdentityCb): void {
    (this.inner.getIdentities as (cb: IdentityCb) => void)((err, keys) => {
      if (!err && Array.isArray(keys)) {
        const allowed = this.allowed;
        if (allowed) keys = keys.filter((k) => allowed.some((b) => b.equals(k.getPublicSSH())));
        this.onKeys(keys);
      }
      cb(err, keys);
    });
  }
  sign(pubKey: ParsedKey, data: Buffer, options: unknown, cb?: unknown): void {
    const { opts, done } = splitSignArgs(options, cb);
    (this.inner.sign as (k: ParsedKey, d: Buffer, o: unknown, c: SignCb) => void)(pubKey, data, opts, done);
  }
}

/**
 * One encrypted key file presented as a one-key agent: ssh2 offers the public key first and only asks
 * to sign once the server accepts it -- that is when the passphrase is asked for.
 */
class DeferredKeyAgent extends BaseAgent<ParsedKey> {
  constructor(
    private readonly publicKey: ParsedKey,
    private readonly unlock: () => Promise<ParsedKey>,
  ) {
    super();
  }
  getIdentities(cb: IdentityCb): void {
    cb(null, [this.publicKey]);
  }
  sign(_pubKey: ParsedKey, data: Buffer, options: unknown, cb?: unknown): void {
    const { opts, done } = splitSignArgs(options, cb);
    this.unlock().then(
      (key) => {
        const sig = key.sign(data, opts.hash);
        if (sig instanceof Error) done(sig);
        else done(null, sig);
      },
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

function methodOf(step: Step): AuthenticationType | 'publickey' {
  switch (step.kind) {
    case 'agent':
    case 'key':
      return 'publickey';
    case 'keyboard-interactive':
      return 'keyboard-interactive';
    case 'password':
      return 'password';
  }
}

export function createAuthHandler(opts: AuthOptions): AuthHandle {
  const { username } = opts;
  // The host as the user wrote it may name the user already (`deploy@web1`): say it once.
  const who = opts.host.includes('@') ? opts.host : `${username}@${opts.host}`;
  const debug = (msg: string): void => opts.onDebug?.(`${who}: ${msg}`);

  const steps: { step: Step; done: boolean }[] = [];
  const tried: string[] = [];
  const triedMethods = new Set<string>();
  const notes: string[] = [];
  const offered: Buffer[] = [];
  const explicitInfo = new Map<string, KeyFileInfo>();
  // Taken now, in the async context of the connection's run: ssh2 calls back from its socket's events.
  const unlocked = unlockedKeys();
  const { unlocking } = unlocked;
  let started = false;
  let fatal: FabError | undefined;
  let serverMethods: string[] | undefined;
  let last: Step | undefined;
  let kbdPasswordSent = false;
  let passwordRejected = false;
  let passwordPromise: Promise<string | undefined> | undefined;
  let agentTriedIndex = -1;
  let serverSigAlgs: string[] | undefined;
  /** The RSA key just refused, with the next algorithm to sign with. */
  let rsaRetries: { auth: AnyAuthMethod; label: string }[] = [];

  const note = (msg: string): void => {
    if (!notes.includes(msg)) notes.push(msg);
  };
  const wasOffered = (key: ParsedKey | undefined): boolean => {
    if (!key) return false;
    const blob = key.getPublicSSH();
    return offered.some((b) => b.equals(blob));
  };
  const markOffered = (key: ParsedKey | undefined): void => {
    if (key && !wasOffered(key)) offered.push(key.getPublicSSH());
  };

  const getPassword = (): Promise<string | undefined> => {
    if (!passwordPromise) {
      passwordPromise = opts.getPassword
        ? opts.getPassword().then(
            (p) => (p === undefined || p === '' ? undefined : p),
            (err: unknown) => {
              note(`password: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
              return undefined;
            },
          )
        : Promise.resolve(undefined);
    }
    return passwordPromise;
  };

  async function prepare(): Promise<void> {
    if (opts.agent) {
      let usable = true;
      if (process.platform !== 'win32') {
        try {
          usable = (await stat(opts.agent)).isSocket();
        } catch {
          usable = false;
        }
      }
      if (usable) steps.push({ step: { kind: 'agent', socket: opts.agent }, done: false });
      else debug(`agent socket ${opts.agent} not found; skipping the agent`);
    }
    const seen = new Set<string>();
    const addKey = (path: string, source: 'explicit' | 'config' | 'default'): void => {
      const file = expandHome(path);
      if (seen.has(file)) return;
      seen.add(file);
      steps.push({ step: { kind: 'key', path: file, source }, done: false });
    };
    for (const f of opts.identityFiles) addKey(f, 'explicit');
    for (const f of opts.configIdentityFiles ?? []) addKey(f, 'config');
    if (opts.useDefaultIdentities) for (const f of DEFAULT_IDENTITIES) addKey(f, 'default');
    steps.push({ step: { kind: 'keyboard-interactive' }, done: false });
    steps.push({ step: { kind: 'password' }, done: false });

    // Explicit identities must be usable: fail before sending anything.
    for (const { step } of steps) {
      if (step.kind !== 'key' || step.source !== 'explicit') continue;
      try {
        explicitInfo.set(step.path, await inspectPrivateKey(step.path));
      } catch (err) {
        if (err instanceof KeyLoadError) {
          fatal = new KeyLoadError(err.reason, err.file, `${who}: ${err.message}`, { host: opts.host, cause: err });
        } else throw err;
        return;
      }
    }
  }

  /** Public blobs of the identity files (for IdentitiesOnly agent filtering). */
  async function identityBlobs(): Promise<Buffer[]> {
    const blobs: Buffer[] = [];
    for (const { step } of steps) {
      if (step.kind !== 'key' || step.source === 'default') continue;
      try {
        const info = explicitInfo.get(step.path) ?? (await inspectPrivateKey(step.path));
        if (info.publicKey) blobs.push(info.publicKey.getPublicSSH());
      } catch {
        /* unusable file: matches nothing */
      }
    }
    return blobs;
  }

  /** Build the ssh2 auth object for a step, or undefined to skip it. */
  async function build(step: Step): Promise<{ auth: AnyAuthMethod; label: string } | undefined> {
    switch (step.kind) {
      case 'agent': {
        const label = 'agent';
        const allowed = opts.identitiesOnly ? await identityBlobs() : undefined;
        const agent = new RecordingAgent(
          step.socket,
          (keys) => {
            for (const k of keys) markOffered(k);
            if (keys.length === 0 && agentTriedIndex >= 0) tried[agentTriedIndex] = 'agent (no keys)';
          },
          allowed,
        );
        const auth: AgentAuthMethod = { type: 'agent', username, agent };
        return { auth, label };
      }
      case 'key':
        return buildKey(step.path);
      case 'keyboard-interactive': {
        const password = await getPassword();
        if (password === undefined) return undefined;
        kbdPasswordSent = false;
        let answered = false;
        const auth: KeyboardInteractiveAuthMethod = {
          type: 'keyboard-interactive',
          username,
          prompt: (_name, _instructions, _lang, prompts, finish) => {
            const answers = prompts.map((p) => {
              if (!answered && isPasswordPrompt(p, prompts.length)) {
                kbdPasswordSent = true;
                return password;
              }
              return '';
            });
            if (kbdPasswordSent) answered = true;
            finish(answers);
          },
        };
        return { auth, label: 'keyboard-interactive' };
      }
      case 'password': {
        if (passwordRejected) {
          debug('password already rejected through keyboard-interactive; not sending it again');
          return undefined;
        }
        const password = await getPassword();
        if (password === undefined) return undefined;
        return { auth: { type: 'password', username, password }, label: 'password' };
      }
    }
  }

  async function buildKey(file: string): Promise<{ auth: AnyAuthMethod; label: string } | undefined> {
    const shown = displayPath(file);
    const label = `publickey ${shown}`;
    let info = explicitInfo.get(file);
    if (!info) {
      try {
        info = await inspectPrivateKey(file);
      } catch (err) {
        if (err instanceof KeyLoadError) {
          if (err.reason === 'missing') debug(`${shown} not found; skipped`);
          else note(err.message.replace(/;.*$/, ''));
          return undefined;
        }
        throw err;
      }
    }
    if (wasOffered(info.publicKey)) {
      debug(`${shown} already offered; skipped`);
      return undefined;
    }
    if (!info.encrypted && info.privateKey) {
      markOffered(info.publicKey);
      return { auth: { type: 'publickey', username, key: info.privateKey }, label };
    }
    // Encrypted.
    const cached = await cachedDecrypted(unlocked, file);
    if (cached) {
      markOffered(info.publicKey ?? cached);
      return { auth: { type: 'publickey', username, key: cached }, label };
    }
    const unlock = async (): Promise<ParsedKey> => {
      const again = await cachedDecrypted(unlocked, file);
      if (again) return again;
      const inflight = unlocking.get(file);
      if (inflight) {
        const key = await inflight.catch(() => undefined);
        if (key) return key;
      }
      const mine = unlockWithPassphrase();
      unlocking.set(file, mine);
      try {
        return await mine;
      } finally {
        if (unlocking.get(file) === mine) unlocking.delete(file);
      }
    };
    const unlockWithPassphrase = async (): Promise<ParsedKey> => {
      const passphrase = opts.getPassphrase ? await opts.getPassphrase(file) : undefined;
      if (passphrase === undefined || passphrase === '') {
        note(`${shown}: encrypted, no passphrase given`);
        throw new Error(`${shown}: no passphrase`);
      }
      try {
        const key = await loadPrivateKey(file, passphrase);
        await rememberDecrypted(unlocked, file, key);
        return key;
      } catch (err) {
        if (err instanceof KeyLoadError) note(err.reason === 'bad-passphrase' ? `${shown}: wrong passphrase` : err.message.replace(/;.*$/, ''));
        throw err instanceof Error ? new Error(`${shown}: cannot unlock key`) : err;
      }
    };
    if (info.publicKey) {
      markOffered(info.publicKey);
      const auth: AgentAuthMethod = { type: 'agent', username, agent: new DeferredKeyAgent(info.publicKey, unlock) };
      return { auth, label };
    }
    // No public half available without the passphrase (old PEM without .pub): ask now.
    try {
      const key = await unlock();
      markOffered(key);
      return { auth: { type: 'publickey', username, key }, label };
    } catch {
      return undefined;
    }
  }

  async function next(methodsLeft: AuthenticationType[] | null, partialSuccess: boolean | null): Promise<AnyAuthMethod | false> {
    if (!started) {
      started = true;
      await prepare();
      if (fatal) return false;
      return { type: 'none', username };
    }
    if (Array.isArray(methodsLeft)) serverMethods = [...methodsLeft];
    if (last?.kind === 'keyboard-interactive' && kbdPasswordSent && partialSuccess !== true) passwordRejected = true;
    if (partialSuccess === true && last) debug(`partial success with ${methodOf(last)}; server wants more: ${serverMethods?.join(',')}`);

    const retry = rsaRetries.shift();
    if (retry && (!serverMethods || serverMethods.includes('publickey'))) {
      tried.push(retry.label);
      debug(`trying ${retry.label}`);
      return retry.auth;
    }
    for (const entry of steps) {
      if (entry.done) continue;
      const method = methodOf(entry.step);
      if (serverMethods && !serverMethods.includes(method)) continue;
      entry.done = true;
      const built = await build(entry.step);
      if (fatal) return false;
      if (!built) continue;
      const auth = built.auth;
      const signings = auth.type === 'publickey' ? rsaSigning(auth.key as ParsedKey, serverSigAlgs) : [];
      rsaRetries = signings.map((signing) => ({ auth: { ...auth, key: signing.key } as AnyAuthMethod, label: `${built.label} (${signing.algorithm})` }));
      if (rsaRetries.length > 0) ({ auth: built.auth, label: built.label } = rsaRetries.shift()!);
      if (entry.step.kind === 'agent') agentTriedIndex = tried.length;
      tried.push(built.label);
      triedMethods.add(method);
      last = entry.step;
      debug(`trying ${built.label}`);
      return built.auth;
    }
    return false;
  }

  const authHandler = ((methodsLeft: AuthenticationType[] | null, partialSuccess: boolean | null, callback: NextFn) => {
    next(methodsLeft, partialSuccess).then(callback, (err: unknown) => {
      fatal = new FabError('AUTH_FAILED', `${who}: authentication error: ${err instanceof Error ? err.message : String(err)}`, {
        host: opts.host,
        cause: err,
      });
      callback(false);
    });
  }) as unknown as AuthHandlerMiddleware;

  function failure(): FabError {
    if (fatal) return fatal;
    let msg = `${who}: authentication failed (tried: ${tried.length > 0 ? tried.join(', ') : 'nothing'})`;
    if (serverMethods) {
      const untried = serverMethods.filter((m) => !triedMethods.has(m));
      if (tried.length === 0 || untried.length > 0) msg += `; server accepts: ${serverMethods.join(', ')}`;
      const wantsPassword = serverMethods.includes('password') || serverMethods.includes('keyboard-interactive');
      const hadPassword = tried.includes('password') || tried.includes('keyboard-interactive');
      if (wantsPassword && !hadPassword && !passwordRejected) note('no password given (-I prompts for one)');
    }
    if (notes.length > 0) msg += `; ${notes.join('; ')}`;
    msg += '. Check the user, key (-i) or password (-I).';
    return new FabError('AUTH_FAILED', msg, { host: opts.host });
  }

  return { authHandler, methodsTried: () => [...tried], failure, setServerSigAlgs: (algorithms) => (serverSigAlgs = algorithms) };
}
