// The auth plan as a state machine: the handler is called exactly as ssh2 calls it
// (methodsLeft/partialSuccess null on the first call, then the server's lists). Keys come from
// ssh-keygen; the agent is a real ssh-agent.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AgentAuthMethod, AnyAuthMethod, KeyboardInteractiveAuthMethod, ParsedKey, PublicKeyAuthMethod } from 'ssh2';
import { createAuthHandler, isPasswordPrompt, isRecoverableAuthError, type AuthHandle, type AuthOptions } from '../../../src/ssh/auth.ts';
import { KeyLoadError } from '../../../src/ssh/keys.ts';
import { fingerprint } from '../../../src/ssh/known-hosts.ts';

const PASSWORD = 'pa55-w0rd-secret';
const PASSPHRASE = 'key-pass-phrase';
let dir: string;
let home: string;
let savedHome: string | undefined;
let agentSock: string;
let agentProc: ChildProcess | undefined;
const fp: Record<string, string> = {};

function keygen(file: string, type: string, pass = ''): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', pass, '-C', file, '-f', file]);
  fp[file] = execFileSync('ssh-keygen', ['-lf', file + '.pub'], { encoding: 'utf8' }).split(' ')[1]!;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fabts-auth-'));
  home = join(dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  savedHome = process.env.HOME;
  process.env.HOME = home;
  keygen(join(home, '.ssh', 'id_ed25519'), 'ed25519');
  keygen(join(home, '.ssh', 'id_rsa'), 'rsa');
  keygen(join(dir, 'explicit'), 'ecdsa');
  keygen(join(dir, 'enc'), 'ed25519', PASSPHRASE);
  keygen(join(dir, 'agentkey'), 'ed25519');
  agentSock = join(dir, 'agent.sock');
  agentProc = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(agentSock); i++) await new Promise((r) => setTimeout(r, 20));
  execFileSync('ssh-add', ['-q', join(dir, 'agentkey')], { env: { ...process.env, SSH_AUTH_SOCK: agentSock }, stdio: 'ignore' });
});
after(() => {
  if (agentProc?.pid) process.kill(agentProc.pid);
  process.env.HOME = savedHome;
  rmSync(dir, { recursive: true, force: true });
});

/** One handler call, the way ssh2 makes it. */
function call(h: AuthHandle, methodsLeft: string[] | null, partial: boolean | null = methodsLeft ? false : null): Promise<AnyAuthMethod | false> {
  return new Promise((resolve) => {
    const ret = (h.authHandler as unknown as (m: unknown, p: unknown, cb: (v: AnyAuthMethod | false) => void) => unknown)(methodsLeft, partial, resolve);
    if (ret !== undefined) resolve(ret as AnyAuthMethod | false);
  });
}

function describeAuth(a: AnyAuthMethod | false): string {
  if (a === false) return 'false';
  return a.type;
}

function counting<T>(value: T): { fn: () => Promise<T>; calls: () => number } {
  let n = 0;
  return { fn: async () => (n++, value), calls: () => n };
}

function base(extra: Partial<AuthOptions> = {}): AuthOptions {
  return { host: 'web1', username: 'fabtest', identityFiles: [], useDefaultIdentities: false, ...extra };
}

const ALL = ['publickey', 'keyboard-interactive', 'password'];

describe('createAuthHandler', () => {
  it('runs none, agent, explicit key, default keys, keyboard-interactive, password -- then gives up', async () => {
    const pw = counting(PASSWORD);
    const h = createAuthHandler(base({ agent: agentSock, identityFiles: [join(dir, 'explicit')], useDefaultIdentities: true, getPassword: pw.fn }));
    const first = await call(h, null);
    assert.deepEqual(first, { type: 'none', username: 'fabtest' });

    const agent = (await call(h, ALL)) as AgentAuthMethod;
    assert.equal(agent.type, 'agent');
    assert.equal(agent.username, 'fabtest');

    const explicit = (await call(h, ALL)) as PublicKeyAuthMethod;
    assert.equal(explicit.type, 'publickey');
    assert.equal(fingerprint((explicit.key as ParsedKey).getPublicSSH()), fp[join(dir, 'explicit')]);

    const ed = (await call(h, ALL)) as PublicKeyAuthMethod;
    assert.equal(fingerprint((ed.key as ParsedKey).getPublicSSH()), fp[join(home, '.ssh', 'id_ed25519')]);
    // ~/.ssh/id_ecdsa does not exist: skipped silently.
    const rsa = (await call(h, ALL)) as PublicKeyAuthMethod;
    assert.equal(fingerprint((rsa.key as ParsedKey).getPublicSSH()), fp[join(home, '.ssh', 'id_rsa')]);
    assert.equal(pw.calls(), 0, 'password not asked for while keys remain');

    const kbd = (await call(h, ALL)) as KeyboardInteractiveAuthMethod;
    assert.equal(kbd.type, 'keyboard-interactive');
    assert.equal(pw.calls(), 1);
    // The server sends a prompt that is not a password prompt: answered empty, so the password is not
    // considered rejected and the password method is still tried.
    const answers = await new Promise<string[]>((r) => kbd.prompt('', '', '', [{ prompt: 'Verification code: ', echo: false }], r));
    assert.deepEqual(answers, ['']);

    const pass = await call(h, ALL);
    assert.deepEqual(pass, { type: 'password', username: 'fabtest', password: PASSWORD });
    assert.equal(pw.calls(), 1, 'password asked for once');
    assert.equal(await call(h, ALL), false);

    assert.deepEqual(h.methodsTried(), [
      'agent',
      `publickey ${join(dir, 'explicit')}`,
      'publickey ~/.ssh/id_ed25519',
      'publickey ~/.ssh/id_rsa',
      'keyboard-interactive',
      'password',
    ]);
    const f = h.failure();
    assert.equal(f.code, 'AUTH_FAILED');
    assert.equal(f.host, 'web1');
    assert.equal(
      f.message,
      `fabtest@web1: authentication failed (tried: agent, publickey ${join(dir, 'explicit')}, publickey ~/.ssh/id_ed25519, publickey ~/.ssh/id_rsa, keyboard-interactive, password). Check the user, key (-i) or password (-I).`,
    );
    assert.ok(!f.message.includes(PASSWORD));
  });

  it('offers only what the server lists, and comes back to a method after a partial success', async () => {
    const h = createAuthHandler(base({ agent: agentSock, useDefaultIdentities: true, getPassword: async () => PASSWORD }));
    await call(h, null);
    assert.equal(describeAuth(await call(h, ['password'])), 'password');
    // Password accepted as the first factor; the server now wants a key.
    assert.equal(describeAuth(await call(h, ['publickey'], true)), 'agent');
    assert.equal(describeAuth(await call(h, ['publickey'], false)), 'publickey');
    assert.equal(describeAuth(await call(h, ['publickey'], false)), 'publickey');
    assert.equal(await call(h, ['publickey'], false), false);
    assert.deepEqual(h.methodsTried(), ['password', 'agent', 'publickey ~/.ssh/id_ed25519', 'publickey ~/.ssh/id_rsa']);
  });

  it('answers password prompts in keyboard-interactive and does not resend a rejected password', async () => {
    const h = createAuthHandler(base({ getPassword: async () => PASSWORD }));
    await call(h, null);
    const kbd = (await call(h, ['keyboard-interactive', 'password'])) as KeyboardInteractiveAuthMethod;
    const answers = await new Promise<string[]>((r) =>
      kbd.prompt('', '', '', [{ prompt: 'Password: ', echo: false }, { prompt: 'Verification code: ', echo: true }], r),
    );
    assert.deepEqual(answers, [PASSWORD, '']);
    // A second round asking for a password again (e.g. "New password:") is not answered with it.
    const again = await new Promise<string[]>((r) => kbd.prompt('', '', '', [{ prompt: 'New password: ', echo: false }], r));
    assert.deepEqual(again, ['']);
    assert.equal(await call(h, ['keyboard-interactive', 'password']), false, 'password method skipped: same password was rejected');
    assert.deepEqual(h.methodsTried(), ['keyboard-interactive']);
  });

  it('recognises password prompts', () => {
    assert.ok(isPasswordPrompt({ prompt: 'Password: ', echo: false }, 1));
    assert.ok(isPasswordPrompt({ prompt: "fabtest@web1's password:", echo: false }, 1));
    assert.ok(isPasswordPrompt({ prompt: 'Passwort: ', echo: false }, 2));
    assert.ok(isPasswordPrompt({ prompt: 'Enter secret: ', echo: false }, 1), 'single hidden prompt');
    assert.ok(!isPasswordPrompt({ prompt: 'Passcode or option (1-3): ', echo: false }, 1));
    assert.ok(!isPasswordPrompt({ prompt: 'Verification code: ', echo: false }, 1));
    assert.ok(!isPasswordPrompt({ prompt: 'Username: ', echo: true }, 2));
  });

  it('a missing explicit key stops before anything is sent; missing default keys are skipped silently', async () => {
    const h = createAuthHandler(base({ identityFiles: [join(dir, 'no-such-key')], useDefaultIdentities: true }));
    assert.equal(await call(h, null), false);
    const f = h.failure();
    assert.ok(f instanceof KeyLoadError);
    assert.equal((f as KeyLoadError).reason, 'missing');
    assert.equal(f.code, 'AUTH_FAILED');
    assert.ok(f.message.startsWith(`fabtest@web1: ${join(dir, 'no-such-key')}: identity file not found`), f.message);
    assert.deepEqual(h.methodsTried(), []);

    const pub = createAuthHandler(base({ identityFiles: [join(dir, 'explicit.pub')] }));
    assert.equal(await call(pub, null), false);
    assert.equal((pub.failure() as KeyLoadError).reason, 'public-key');

    // ssh_config identities: missing ones skipped like defaults.
    const cfg = createAuthHandler(base({ configIdentityFiles: [join(dir, 'gone'), join(dir, 'explicit')] }));
    assert.equal(describeAuth(await call(cfg, null)), 'none');
    assert.equal(describeAuth(await call(cfg, ['publickey'])), 'publickey');
    assert.equal(await call(cfg, ['publickey']), false);
    assert.deepEqual(cfg.methodsTried(), [`publickey ${join(dir, 'explicit')}`]);
  });

  it('does not offer the same key twice (explicit + default, or already in the agent)', async () => {
    const agentKeyPath = join(dir, 'agentkey');
    const h = createAuthHandler(
      base({ agent: agentSock, identityFiles: ['~/.ssh/id_rsa', agentKeyPath, join(home, '.ssh', 'id_rsa')], useDefaultIdentities: true }),
    );
    await call(h, null);
    const agent = (await call(h, ['publickey'])) as AgentAuthMethod;
    // What ssh2 does next: list the agent's identities.
    const keys = await new Promise<ParsedKey[]>((resolve, reject) =>
      (agent.agent as unknown as { getIdentities(cb: (e: Error | null, k?: ParsedKey[]) => void): void }).getIdentities((e, k) => (e ? reject(e) : resolve(k ?? []))),
    );
    assert.deepEqual(keys.map((k) => fingerprint(k.getPublicSSH())), [fp[agentKeyPath]]);
    const labels: string[] = [];
    for (let a = await call(h, ['publickey']); a !== false; a = await call(h, ['publickey'])) labels.push(a.type);
    assert.deepEqual(h.methodsTried(), ['agent', 'publickey ~/.ssh/id_rsa', 'publickey ~/.ssh/id_ed25519']);
  });

  it('identitiesOnly: the agent offers only keys matching the identity files', async () => {
    const listKeys = async (files: string[]): Promise<{ fps: string[]; tried: string[] }> => {
      const h = createAuthHandler(base({ agent: agentSock, identityFiles: files, identitiesOnly: true }));
      await call(h, null);
      const a = (await call(h, ['publickey'])) as AgentAuthMethod;
      const keys = await new Promise<ParsedKey[]>((resolve, reject) =>
        (a.agent as unknown as { getIdentities(cb: (e: Error | null, k?: ParsedKey[]) => void): void }).getIdentities((e, k) => (e ? reject(e) : resolve(k ?? []))),
      );
      return { fps: keys.map((k) => fingerprint(k.getPublicSSH())), tried: h.methodsTried() };
    };
    const withKey = await listKeys([join(dir, 'agentkey')]);
    assert.deepEqual(withKey.fps, [fp[join(dir, 'agentkey')]]);
    const without = await listKeys([join(dir, 'explicit')]);
    assert.deepEqual(without.fps, []);
    assert.deepEqual(without.tried, ['agent (no keys)']);
  });

  it('an agent socket that does not exist is not offered', async () => {
    const h = createAuthHandler(base({ agent: join(dir, 'no-agent.sock'), useDefaultIdentities: true }));
    await call(h, null);
    assert.equal(describeAuth(await call(h, ['publickey'])), 'publickey');
    assert.equal(h.methodsTried()[0], 'publickey ~/.ssh/id_ed25519');
  });

  it('encrypted keys: the passphrase is asked only when the server wants to see a signature', async () => {
    const file = join(dir, 'enc');
    const asked: string[] = [];
    const h = createAuthHandler(base({ identityFiles: [file], getPassphrase: async (f) => (asked.push(f), PASSPHRASE) }));
    await call(h, null);
    const auth = (await call(h, ['publickey'])) as AgentAuthMethod;
    assert.equal(auth.type, 'agent', 'offered through a one-key agent so ssh2 queries the public key first');
    assert.equal(asked.length, 0);
    const agent = auth.agent as unknown as {
      getIdentities(cb: (e: Error | null, k?: ParsedKey[]) => void): void;
      sign(k: ParsedKey, d: Buffer, o: object, cb: (e: Error | null | undefined, s?: Buffer) => void): void;
    };
    const [pub] = await new Promise<ParsedKey[]>((r) => agent.getIdentities((_e, k) => r(k!)));
    assert.equal(fingerprint(pub!.getPublicSSH()), fp[file]);
    const data = Buffer.from('session data to sign');
    const sig = await new Promise<Buffer>((resolve, reject) => agent.sign(pub!, data, {}, (e, s) => (e ? reject(e) : resolve(s!))));
    assert.deepEqual(asked, [file]);
    assert.ok(pub!.verify(data, sig), 'signature made with the decrypted key verifies with the public key');
    assert.deepEqual(h.methodsTried(), [`publickey ${file}`]);

    // A second handler (another host) reuses the decrypted key: no second passphrase prompt.
    const h2 = createAuthHandler(base({ identityFiles: [file], getPassphrase: async (f) => (asked.push(f), PASSPHRASE) }));
    await call(h2, null);
    const auth2 = (await call(h2, ['publickey'])) as PublicKeyAuthMethod;
    assert.equal(auth2.type, 'publickey');
    assert.equal(asked.length, 1);
  });

  it('parallel connections needing the same encrypted key share one passphrase prompt', async () => {
    const file = join(dir, 'enc3');
    keygen(file, 'ed25519', PASSPHRASE);
    let asked = 0;
    const getPassphrase = async (): Promise<string> => {
      asked++;
      await new Promise((r) => setTimeout(r, 50));
      return PASSPHRASE;
    };
    const signOnce = async (): Promise<Buffer> => {
      const h = createAuthHandler(base({ identityFiles: [file], getPassphrase }));
      await call(h, null);
      const a = (await call(h, ['publickey'])) as AgentAuthMethod;
      const ag = a.agent as unknown as {
        getIdentities(cb: (e: Error | null, k?: ParsedKey[]) => void): void;
        sign(k: ParsedKey, d: Buffer, o: object, cb: (e: Error | null | undefined, s?: Buffer) => void): void;
      };
      const [pub] = await new Promise<ParsedKey[]>((r) => ag.getIdentities((_e, k) => r(k!)));
      return new Promise((resolve, reject) => ag.sign(pub!, Buffer.from('x'), {}, (e, sig) => (e ? reject(e) : resolve(sig!))));
    };
    const sigs = await Promise.all([signOnce(), signOnce(), signOnce()]);
    assert.equal(sigs.length, 3);
    assert.equal(asked, 1);
  });

  it('a wrong or missing passphrase fails that key with a note, never the passphrase', async () => {
    // A fresh copy so the decrypted-key cache of the previous test does not apply.
    const file = join(dir, 'enc2');
    keygen(file, 'ed25519', PASSPHRASE);
    const h = createAuthHandler(base({ identityFiles: [file], getPassphrase: async () => 'not-the-passphrase' }));
    await call(h, null);
    const auth = (await call(h, ['publickey', 'password'])) as AgentAuthMethod;
    const agent = auth.agent as unknown as {
      getIdentities(cb: (e: Error | null, k?: ParsedKey[]) => void): void;
      sign(k: ParsedKey, d: Buffer, o: object, cb: (e: Error | null | undefined, s?: Buffer) => void): void;
    };
    const [pub] = await new Promise<ParsedKey[]>((r) => agent.getIdentities((_e, k) => r(k!)));
    const err = await new Promise<Error | null | undefined>((r) => agent.sign(pub!, Buffer.from('x'), {}, (e) => r(e)));
    assert.ok(err instanceof Error);
    assert.equal(await call(h, ['publickey', 'password']), false);
    const f = h.failure();
    assert.ok(f.message.includes(`${file}: wrong passphrase`), f.message);
    assert.ok(f.message.includes('server accepts: publickey, password'), f.message);
    assert.ok(f.message.includes('no password given (-I prompts for one)'), f.message);
    assert.ok(!f.message.includes('not-the-passphrase'));

    const h2 = createAuthHandler(base({ identityFiles: [file] }));
    await call(h2, null);
    const a2 = (await call(h2, ['publickey'])) as AgentAuthMethod;
    const ag2 = a2.agent as unknown as typeof agent;
    const [pub2] = await new Promise<ParsedKey[]>((r) => ag2.getIdentities((_e, k) => r(k!)));
    assert.ok(await new Promise((r) => ag2.sign(pub2!, Buffer.from('x'), {}, (e) => r(e))));
    await call(h2, ['publickey']);
    assert.ok(h2.failure().message.includes(`${file}: encrypted, no passphrase given`), h2.failure().message);
  });

  it('nothing to offer: the failure says what the server accepts', async () => {
    const h = createAuthHandler(base({ getPassword: async () => undefined }));
    await call(h, null);
    assert.equal(await call(h, ['publickey', 'password']), false);
    assert.equal(
      h.failure().message,
      'fabtest@web1: authentication failed (tried: nothing); server accepts: publickey, password; no password given (-I prompts for one). Check the user, key (-i) or password (-I).',
    );
  });

  it('a password source that fails is reported, not thrown', async () => {
    const h = createAuthHandler(base({ getPassword: async () => Promise.reject(new Error('no terminal to prompt on')) }));
    await call(h, null);
    assert.equal(await call(h, ['password']), false);
    assert.match(h.failure().message, /password: no terminal to prompt on/);
  });

  it('classifies ssh2 errors', () => {
    assert.equal(isRecoverableAuthError(Object.assign(new Error('x'), { level: 'agent' })), true);
    assert.equal(isRecoverableAuthError(Object.assign(new Error('Error signing data with key: x'), { level: 'client-authentication' })), true);
    assert.equal(isRecoverableAuthError(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' })), false);
    assert.equal(isRecoverableAuthError(Object.assign(new Error('connect ECONNREFUSED'), { level: 'client-socket' })), false);
  });
});
