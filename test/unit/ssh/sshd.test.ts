// Host key policy + auth handler against a real, throwaway OpenSSH sshd on 127.0.0.1, through ssh2.
// The sshd has its own host keys, AuthorizedKeysFile and config; it is started detached and killed by pid.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import type { ConnectConfig } from 'ssh2';
import { createAuthHandler, isRecoverableAuthError, type AuthOptions } from '../../../src/ssh/auth.ts';
import { makeHostVerifier, type HostKeyPolicy } from '../../../src/ssh/host-key-policy.ts';
import { fingerprint } from '../../../src/ssh/known-hosts.ts';

const { Client } = ssh2;
const SSHD = '/usr/sbin/sshd';
const PASSPHRASE = 'sshd-test-passphrase';
const USER = userInfo().username;
const canRun = existsSync(SSHD) && process.getuid?.() === 0;

let dir: string;
let port: number;
let sshd: ChildProcess | undefined;
let agent: ChildProcess | undefined;
let agentSock: string;
const hostPub: Record<'ed' | 'rsa', string> = { ed: '', rsa: '' };

function keygen(file: string, type: string, pass = ''): string {
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', pass, '-C', 'fabts-test', '-f', file]);
  return readFileSync(file + '.pub', 'utf8').trim();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitForPort(p: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = netConnect(p, '127.0.0.1');
      c.once('data', () => (c.destroy(), resolve(true))); // the SSH banner
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not come up on ${p}: ${readFileSync(join(dir, 'sshd.log'), 'utf8')}`);
}

before(async () => {
  if (!canRun) return;
  dir = mkdtempSync(join(tmpdir(), 'fabts-sshd-'));
  hostPub.ed = keygen(join(dir, 'host_ed25519'), 'ed25519');
  hostPub.rsa = keygen(join(dir, 'host_rsa'), 'rsa');
  const authorized = [
    keygen(join(dir, 'user_enc'), 'ed25519', PASSPHRASE),
    keygen(join(dir, 'user_enc2'), 'ed25519', PASSPHRASE), // never unlocked (decrypted keys are cached per process)
    keygen(join(dir, 'user_agent'), 'ecdsa'),
    keygen(join(dir, 'user_enc_rsa'), 'rsa', PASSPHRASE),
  ];
  keygen(join(dir, 'user_unauthorized'), 'ed25519');
  writeFileSync(join(dir, 'authorized_keys'), authorized.join('\n') + '\n');
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `HostKey ${join(dir, 'host_ed25519')}`,
      `HostKey ${join(dir, 'host_rsa')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PidFile none',
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'MaxAuthTries 10',
      'LogLevel VERBOSE',
    ].join('\n') + '\n',
  );
  port = await freePort();
  sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config'), '-p', String(port), '-o', 'ListenAddress=127.0.0.1', '-E', join(dir, 'sshd.log')], {
    detached: true,
    stdio: 'ignore',
  });
  sshd.unref();
  agentSock = join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', agentSock], { detached: true, stdio: 'ignore' });
  agent.unref();
  await waitForPort(port);
  for (let i = 0; i < 100 && !existsSync(agentSock); i++) await new Promise((r) => setTimeout(r, 20));
  execFileSync('ssh-add', ['-q', join(dir, 'user_agent')], { env: { ...process.env, SSH_AUTH_SOCK: agentSock }, stdio: 'ignore' });
});

after(() => {
  if (sshd?.pid) process.kill(sshd.pid);
  if (agent?.pid) process.kill(agent.pid);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Attempt {
  ok: boolean;
  error?: Error;
  recoverable: Error[];
  tried: string[];
}

async function attempt(opts: {
  policy?: HostKeyPolicy;
  knownHosts: string;
  auth: Partial<AuthOptions>;
  preferKnownAlgorithms?: boolean;
  warnings?: string[];
}): Promise<Attempt & { verifier: ReturnType<typeof makeHostVerifier>; handle: ReturnType<typeof createAuthHandler> }> {
  const verifier = makeHostVerifier({
    policy: opts.policy ?? 'accept-new',
    files: [opts.knownHosts],
    writeFile: opts.knownHosts,
    host: '127.0.0.1',
    port,
    displayName: 'testhost',
    onWarning: (m) => opts.warnings?.push(m),
  });
  const handle = createAuthHandler({ host: 'testhost', username: USER, identityFiles: [], useDefaultIdentities: false, ...opts.auth });
  const serverHostKey = opts.preferKnownAlgorithms ? await verifier.hostKeyAlgorithms() : undefined;
  const config: ConnectConfig = {
    host: '127.0.0.1',
    port,
    username: USER,
    readyTimeout: 15000,
    hostVerifier: verifier.hostVerifier,
    authHandler: handle.authHandler,
    ...(serverHostKey ? { algorithms: { serverHostKey: serverHostKey as never } } : {}),
  };
  const recoverable: Error[] = [];
  const result = await new Promise<Attempt>((resolve) => {
    const c = new Client();
    c.on('ready', () => {
      c.exec('echo fabts-ok', (err, stream) => {
        if (err) return resolve({ ok: false, error: err, recoverable, tried: handle.methodsTried() });
        let out = '';
        stream.on('data', (d: Buffer) => (out += d.toString()));
        stream.on('close', () => {
          c.end();
          resolve({ ok: out.trim() === 'fabts-ok', recoverable, tried: handle.methodsTried() });
        });
      });
    });
    c.on('error', (err) => {
      if (isRecoverableAuthError(err)) {
        recoverable.push(err);
        return;
      }
      c.end();
      resolve({ ok: false, error: err, recoverable, tried: handle.methodsTried() });
    });
    c.connect(config);
  });
  return { ...result, verifier, handle };
}

describe('against a real sshd', { skip: canRun ? false : 'needs root and /usr/sbin/sshd' }, () => {
  it('accept-new records the host; an encrypted -i key unlocks only after the server accepts it', async () => {
    const kh = join(dir, 'kh_accept');
    const warnings: string[] = [];
    const asked: string[] = [];
    const r = await attempt({
      knownHosts: kh,
      warnings,
      auth: {
        identityFiles: [join(dir, 'user_unauthorized'), join(dir, 'user_enc')],
        getPassphrase: async (f) => (asked.push(f), PASSPHRASE),
        getPassword: async () => assert.fail('no password needed'),
      },
    });
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual(r.tried, [`publickey ${join(dir, 'user_unauthorized')}`, `publickey ${join(dir, 'user_enc')}`]);
    assert.deepEqual(asked, [join(dir, 'user_enc')]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`Permanently added '\\[127\\.0\\.0\\.1\\]:${port}' \\(ED25519\\)`));
    // ssh-keygen agrees the recorded key is the server's ED25519 host key.
    const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${port}`, '-f', kh], { encoding: 'utf8' });
    assert.ok(found.includes(hostPub.ed.split(' ')[1]!));
    // Now known: a strict connection through the agent works, with no new warning.
    const again = await attempt({ policy: 'strict', knownHosts: kh, warnings, auth: { agent: agentSock } });
    assert.equal(again.ok, true, again.error?.message);
    assert.deepEqual(again.tried, ['agent']);
    assert.equal(warnings.length, 1);
  });

  it('an encrypted RSA key signs through the deferred path with the negotiated rsa-sha2 hash', async () => {
    const kh = join(dir, 'kh_rsa_user');
    let asked = 0;
    const r = await attempt({
      knownHosts: kh,
      auth: { identityFiles: [join(dir, 'user_enc_rsa')], getPassphrase: async () => (asked++, PASSPHRASE) },
    });
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(asked, 1);
    assert.match(readFileSync(join(dir, 'sshd.log'), 'utf8'), /Accepted publickey for \S+ from 127\.0\.0\.1 port \d+ ssh2: RSA SHA256:/);
  });

  it('strict refuses an unknown host; running the suggested ssh-keyscan command fixes it', async () => {
    const kh = join(dir, 'kh_strict');
    const r = await attempt({ policy: 'strict', knownHosts: kh, auth: { agent: agentSock } });
    assert.equal(r.ok, false);
    assert.deepEqual(r.tried, [], 'no authentication attempted');
    const err = r.verifier.error!;
    assert.equal(err.code, 'HOST_KEY');
    assert.ok(err.message.includes(fingerprint(Buffer.from(hostPub.ed.split(' ')[1]!, 'base64'))), err.message);
    const cmd = /ssh-keyscan .*$/.exec(err.message)![0];
    execFileSync('sh', ['-c', `${cmd} 2>/dev/null`]);
    const ok = await attempt({ policy: 'strict', knownHosts: kh, auth: { agent: agentSock } });
    assert.equal(ok.ok, true, ok.error?.message);
  });

  it('a host known only by its RSA key: refused as changed, unless the known algorithms are preferred', async () => {
    const kh = join(dir, 'kh_rsa');
    writeFileSync(kh, `[127.0.0.1]:${port} ${hostPub.rsa}\n`);
    const refused = await attempt({ knownHosts: kh, auth: { agent: agentSock } });
    assert.equal(refused.ok, false);
    assert.match(refused.verifier.error!.message, /HOST KEY CHANGED .* ED25519 host key SHA256:\S+, but .* lists its RSA key instead/);
    const ok = await attempt({ knownHosts: kh, auth: { agent: agentSock }, preferKnownAlgorithms: true });
    assert.equal(ok.ok, true, ok.error?.message);
    assert.equal(readFileSync(kh, 'utf8'), `[127.0.0.1]:${port} ${hostPub.rsa}\n`, 'nothing added');
  });

  it('when everything fails: methods tried in order, then one clear AUTH_FAILED error', async () => {
    const kh = join(dir, 'kh_fail');
    let passwordCalls = 0;
    const r = await attempt({
      knownHosts: kh,
      auth: {
        agent: join(dir, 'missing-agent.sock'),
        identityFiles: [join(dir, 'user_unauthorized')],
        getPassword: async () => (passwordCalls++, 'definitely-wrong-password'),
      },
    });
    assert.equal(r.ok, false);
    assert.match(r.error!.message, /All configured authentication methods failed/);
    assert.equal(passwordCalls, 1);
    assert.deepEqual(r.tried, [`publickey ${join(dir, 'user_unauthorized')}`, 'password']);
    const f = r.handle.failure();
    assert.equal(f.code, 'AUTH_FAILED');
    assert.equal(
      f.message,
      `${USER}@testhost: authentication failed (tried: publickey ${join(dir, 'user_unauthorized')}, password). Check the user, key (-i) or password (-I).`,
    );
    assert.ok(!f.message.includes('definitely-wrong-password'));
  });

  it('a passphrase that is not given: ssh2 reports a recoverable agent error and auth moves on', async () => {
    const kh = join(dir, 'kh_nopass');
    const r = await attempt({ knownHosts: kh, auth: { identityFiles: [join(dir, 'user_enc2')] } });
    assert.equal(r.ok, false);
    assert.ok(r.recoverable.length >= 1, 'the signing failure surfaced as a recoverable error');
    assert.match(r.handle.failure().message, /user_enc2: encrypted, no passphrase given/);
  });
});
