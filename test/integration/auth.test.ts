// Authentication through the product: run() on the real test bed hosts (web1 through the bastion), with the keys,
// agents and passwords a user gives fabts. The sshd logs (LogLevel VERBOSE) say which method and key got in.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FabError } from '../../src/errors.ts';
import { run } from '../../src/ops/command/run.ts';
import { setSecretPrompts } from '../../src/ssh/credentials.ts';
import { onHost, type Testbed } from '../support/remote.ts';
import {
  copyKnownHosts,
  freshHome,
  homeFile,
  keyFingerprint,
  literal,
  makeKey,
  recording,
  setAuthSock,
  sshdLog,
  startAgent,
  testbedHosts,
  useSettings,
} from '../support/ssh-env.ts';

let tb: Testbed;
let home: string;
let otherKey: string;
let tbKeyFingerprint: string;

const accepted = (method: string, fingerprint = '') => new RegExp(`Accepted ${method} for fabtest .*${literal(fingerprint)}`);

async function whoami(host: string): Promise<string> {
  return (await onHost(host, () => run('id -un', { hide: true }))).stdout.trim();
}

/** The `trying ...` debug lines of the auth handler, in order. */
function attempts(list: Awaited<ReturnType<typeof recording>>['events'], host: string): string[] {
  return list.flatMap((e) => (e.kind === 'debug' && e.host === host && /: trying /.test(e.message) ? [e.message.replace(/^.*: trying /, '')] : []));
}

before(async () => {
  home = freshHome();
  tb = await useSettings();
  copyKnownHosts(tb);
  // The hosts and the user, and nothing about keys: each test brings its own way in.
  homeFile('.ssh/config', testbedHosts(tb) + 'Host *\n  User fabtest\n');
  otherKey = makeKey(path.join(home, 'keys', 'unauthorized'));
  tbKeyFingerprint = keyFingerprint(tb.keyPath);
});
after(() => setSecretPrompts({}));

describe('ssh-agent', () => {
  test('the agent at SSH_AUTH_SOCK logs in, on the bastion and on web1 behind it', async () => {
    const agent = await startAgent([tb.keyPath]);
    setAuthSock(agent.socket);
    await useSettings({ noAgent: false, noKeys: true });
    const web1 = sshdLog(tb, 'web1');
    const bastion = sshdLog(tb, 'bastion');
    assert.equal(await whoami('web1'), 'fabtest');
    assert.equal(web1.count(accepted('publickey', tbKeyFingerprint)), 1);
    assert.equal(bastion.count(accepted('publickey', tbKeyFingerprint)), 1);
  });

  test('-a (noAgent) leaves the agent out', async () => {
    const agent = await startAgent([tb.keyPath]);
    setAuthSock(agent.socket);
    await useSettings({ noAgent: true, noKeys: true });
    await assert.rejects(whoami('direct'), /fabtest@direct: authentication failed \(tried: nothing\)/);
  });

  test('-A forwards the agent: ssh-add -l on web1 lists its key; without -A there is none', async () => {
    const agent = await startAgent([tb.keyPath]);
    setAuthSock(agent.socket);
    await useSettings({ noAgent: false, noKeys: true, forwardAgent: true });
    const listed = await onHost('web1', () => run('ssh-add -l', { hide: true }));
    assert.match(listed.stdout, new RegExp(literal(tbKeyFingerprint)));
    await useSettings({ noAgent: false, noKeys: true });
    const none = await onHost('web1', () => run('ssh-add -l', { hide: true, warnOnly: true }));
    assert.equal(none.code, 2, 'no agent to talk to');
  });

  test('-a with -A still forwards the agent (only authentication leaves it out); ForwardAgent yes in ssh_config too', async () => {
    const agent = await startAgent([tb.keyPath]);
    setAuthSock(agent.socket);
    await useSettings({ noAgent: true, keyFilename: [tb.keyPath], forwardAgent: true });
    assert.equal((await onHost('direct', () => run('ssh-add -l', { hide: true }))).code, 0);
    homeFile('.ssh/config', testbedHosts(tb, ['ForwardAgent yes']) + 'Host *\n  User fabtest\n');
    try {
      await useSettings({ noAgent: false, noKeys: true });
      assert.equal((await onHost('web2', () => run('ssh-add -l', { hide: true }))).code, 0);
    } finally {
      homeFile('.ssh/config', testbedHosts(tb) + 'Host *\n  User fabtest\n');
    }
  });

  test('ForwardAgent /path/to/socket forwards that agent, with SSH_AUTH_SOCK unset', async () => {
    const agent = await startAgent([tb.keyPath]);
    setAuthSock(undefined);
    homeFile('.ssh/config', testbedHosts(tb, [`ForwardAgent ${agent.socket}`]) + 'Host *\n  User fabtest\n');
    try {
      await useSettings({ keyFilename: [tb.keyPath], noKeys: true });
      const listed = await onHost('web1', () => run('ssh-add -l', { hide: true }));
      assert.match(listed.stdout, new RegExp(literal(tbKeyFingerprint)));
    } finally {
      homeFile('.ssh/config', testbedHosts(tb) + 'Host *\n  User fabtest\n');
    }
  });
});

describe('key files', () => {
  test('-i files are tried in the order given (repeatable), and the authorized one gets in', async () => {
    await useSettings({ keyFilename: [otherKey, tb.keyPath], noKeys: true });
    const direct = sshdLog(tb, 'direct');
    const { value, events } = await recording(() => whoami('direct'));
    assert.equal(value, 'fabtest');
    assert.deepEqual(attempts(events, 'direct'), [`publickey ~/keys/unauthorized`, `publickey ${tb.keyPath}`]);
    assert.equal(direct.count(accepted('publickey', tbKeyFingerprint)), 1);
  });

  test('a missing -i file is an error naming it, before anything is sent', async () => {
    await useSettings({ keyFilename: [path.join(home, 'nope')], noKeys: true });
    await assert.rejects(whoami('direct'), /~\/nope: identity file not found/);
  });

  test('the default keys ~/.ssh/id_ed25519, id_ecdsa, id_rsa are tried in that order, unless -k', async () => {
    homeFile('.ssh/id_ed25519', fs.readFileSync(otherKey, 'utf8'));
    homeFile('.ssh/id_rsa', fs.readFileSync(tb.keyPath, 'utf8'));
    try {
      await useSettings();
      const { value, events } = await recording(() => whoami('direct'));
      assert.equal(value, 'fabtest');
      assert.deepEqual(attempts(events, 'direct'), ['publickey ~/.ssh/id_ed25519', 'publickey ~/.ssh/id_rsa']);
      await useSettings({ noKeys: true });
      await assert.rejects(whoami('direct'), /authentication failed \(tried: nothing\)/);
    } finally {
      for (const name of ['id_ed25519', 'id_rsa']) fs.rmSync(path.join(home, '.ssh', name));
    }
  });

  test('an encrypted key: without a passphrase and with a wrong one the error says so, with env.keyPassphrase it gets in', async () => {
    const key = path.join(home, 'keys', 'encrypted');
    fs.copyFileSync(tb.encryptedKeyPath, key);
    fs.chmodSync(key, 0o600);
    await useSettings({ keyFilename: [key], noKeys: true });
    await assert.rejects(whoami('direct'), /~\/keys\/encrypted: encrypted, no passphrase given/);
    await useSettings({ keyFilename: [key], noKeys: true, keyPassphrase: 'not-the-passphrase' });
    const wrong = await recording(() => whoami('direct'));
    assert.match(String(wrong.error), /~\/keys\/encrypted: wrong passphrase/);
    assert.doesNotMatch(JSON.stringify(wrong.events) + String(wrong.error), /not-the-passphrase/);
    await useSettings({ keyFilename: [key], noKeys: true, keyPassphrase: tb.keyPassphrase });
    const right = await recording(() => whoami('direct'));
    assert.equal(right.value, 'fabtest');
    assert.doesNotMatch(JSON.stringify(right.events), new RegExp(tb.keyPassphrase));
  });

  test('without env.keyPassphrase the passphrase prompt is asked, once for all hosts at once', async () => {
    const key = path.join(home, 'keys', 'encrypted-prompted');
    fs.copyFileSync(tb.encryptedKeyPath, key);
    fs.chmodSync(key, 0o600);
    const asked: string[] = [];
    setSecretPrompts({
      passphrase: async (file, host) => {
        asked.push(`${file} for ${host}`);
        await new Promise((r) => setTimeout(r, 50));
        return tb.keyPassphrase;
      },
    });
    try {
      await useSettings({ keyFilename: [key], noKeys: true });
      const users = await Promise.all(['direct', 'web1', 'web2'].map(whoami));
      assert.deepEqual(users, ['fabtest', 'fabtest', 'fabtest']);
      assert.equal(asked.length, 1, asked.join('; '));
      assert.match(asked[0]!, /encrypted-prompted for (direct|bastion)$/);
    } finally {
      setSecretPrompts({});
    }
  });
});

describe('passwords', () => {
  test('env.password is answered through keyboard-interactive (PAM), on the bastion and web1 alike', async () => {
    await useSettings({ noKeys: true, password: tb.password });
    const web1 = sshdLog(tb, 'web1');
    const bastion = sshdLog(tb, 'bastion');
    const { value, events } = await recording(() => whoami('web1'));
    assert.equal(value, 'fabtest');
    assert.equal(web1.count(accepted('keyboard-interactive/pam')), 1);
    assert.equal(bastion.count(accepted('keyboard-interactive/pam')), 1);
    assert.doesNotMatch(JSON.stringify(events), new RegExp(tb.password));
  });

  test('env.passwords holds passwords per host string: the alias, or user@host:port', async () => {
    await useSettings({ noKeys: true, passwords: { direct: tb.password } });
    assert.equal(await whoami('direct'), 'fabtest');
    await useSettings({ noKeys: true, passwords: { [`fabtest@direct:${tb.hosts.direct.port}`]: tb.password } });
    assert.equal(await whoami('direct'), 'fabtest');
    await useSettings({ noKeys: true, passwords: { bastion: tb.password, web1: tb.password } });
    assert.equal(await whoami('web1'), 'fabtest');
    await useSettings({ noKeys: true, passwords: { web2: tb.password } });
    await assert.rejects(whoami('direct'), /fabtest@direct: authentication failed \(tried: nothing\).*no password given/);
  });

  test('env.passwords wins over env.password for its host', async () => {
    await useSettings({ noKeys: true, password: 'wrong-one', passwords: { direct: tb.password } });
    assert.equal(await whoami('direct'), 'fabtest');
  });

  test('with no password in env, the password prompt is asked, naming the host', async () => {
    const asked: string[] = [];
    setSecretPrompts({ password: async (host) => (asked.push(host), tb.password) });
    try {
      await useSettings({ noKeys: true });
      assert.equal(await whoami('direct'), 'fabtest');
      assert.deepEqual(asked, ['direct']);
    } finally {
      setSecretPrompts({});
    }
  });

  test('a wrong password fails in one line naming the host and the methods tried, and never shows the password', async () => {
    await useSettings({ noKeys: true, keyFilename: [otherKey], password: 'Wrong-Secret-123' });
    const { error, events } = await recording(() => whoami('direct'));
    assert.ok(error instanceof FabError);
    assert.equal(error.code, 'AUTH_FAILED');
    assert.equal(error.host, 'direct');
    assert.match(error.message, /^fabtest@direct: authentication failed \(tried: publickey ~\/keys\/unauthorized, keyboard-interactive\)/);
    assert.doesNotMatch(error.message, /\n/);
    assert.doesNotMatch(error.message + JSON.stringify(events), /Wrong-Secret-123/);
  });
});
