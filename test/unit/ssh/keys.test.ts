// Private key loading, with keys made by ssh-keygen (and openssl for a PKCS#8 Ed25519 key).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_IDENTITIES, KeyLoadError, displayPath, expandHome, inspectPrivateKey, loadPrivateKey } from '../../../src/ssh/keys.ts';
import { fingerprint } from '../../../src/ssh/known-hosts.ts';
import { parseKey } from '../../../src/ssh/ssh2-modules.ts';
import { setV8Flag, v8FlagState } from '../../../src/util/v8-flags.ts';
import type { ParsedKey } from 'ssh2';

const PASS = 'corr3ct-horse';
const WRONG = 'wr0ng-guess';
let dir: string;

function keygen(name: string, args: string[]): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-C', name, '-f', file]);
  return file;
}

/** ssh-keygen -lf fingerprint of a private or public key file (reading an encrypted private key needs its .pub). */
function keygenFingerprint(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' }).split(' ')[1]!;
}

async function rejects(p: Promise<unknown>, reason: string, mustMention: string): Promise<KeyLoadError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KeyLoadError, `expected KeyLoadError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    assert.equal(err.code, 'AUTH_FAILED');
    assert.ok(err.message.includes(mustMention), `${err.message} should mention ${mustMention}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    assert.ok(!err.message.includes(PASS) && !err.message.includes(WRONG), 'no passphrase in the message');
    return err;
  }
  assert.fail(`expected rejection with ${reason}`);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fabts-keys-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('loadPrivateKey', () => {
  const plain: [string, string[], string][] = [
    ['ed25519', ['-t', 'ed25519'], 'ssh-ed25519'],
    ['rsa', ['-t', 'rsa', '-b', '2048'], 'ssh-rsa'],
    ['ecdsa', ['-t', 'ecdsa'], 'ecdsa-sha2-nistp256'],
    ['ecdsa384', ['-t', 'ecdsa', '-b', '384'], 'ecdsa-sha2-nistp384'],
    ['rsa-pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], 'ssh-rsa'],
    ['ecdsa-pkcs8', ['-t', 'ecdsa', '-m', 'PKCS8'], 'ecdsa-sha2-nistp256'],
    ['rsa-pkcs8', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'], 'ssh-rsa'],
  ];
  for (const [name, args, type] of plain) {
    it(`reads an unencrypted ${name} key; its public half matches ssh-keygen`, async () => {
      const file = keygen(`id_${name}`, [...args, '-N', '']);
      const key = await loadPrivateKey(file);
      assert.equal(key.type, type);
      assert.ok(key.isPrivateKey());
      assert.equal(fingerprint(key.getPublicSSH()), keygenFingerprint(file + '.pub'));
      // It signs (with the key's own hash, and with one named, as ssh2 asks for rsa-sha2-*), and the signature
      // verifies with the public key from the .pub file.
      const pub = parseKey(readFileSync(file + '.pub', 'utf8')) as ParsedKey;
      const data = Buffer.from('data to sign');
      for (const hash of type === 'ssh-rsa' ? [undefined, 'sha256', 'sha512'] : [undefined]) {
        const sig = key.sign(data, hash);
        assert.ok(Buffer.isBuffer(sig), String(sig));
        assert.equal(pub.verify(data, sig, hash), true, `${type} ${hash ?? 'default'} signature verifies`);
      }
    });
  }

  it('parses a key file once while it stays the same, and anew when it changes', async () => {
    const file = keygen('id_once', ['-t', 'ed25519', '-N', '']);
    const first = await loadPrivateKey(file);
    assert.equal(await loadPrivateKey(file), first, 'the same key object: parsed once');
    assert.equal((await inspectPrivateKey(file)).privateKey, (await inspectPrivateKey(file)).privateKey);
    rmSync(file);
    rmSync(`${file}.pub`);
    keygen('id_once', ['-t', 'ed25519', '-N', '']);
    const again = await loadPrivateKey(file);
    assert.notEqual(again, first);
    assert.notEqual(again.getPublicSSH().toString('base64'), first.getPublicSSH().toString('base64'), 'the new key');
  });

  const encrypted: [string, string[]][] = [
    ['ed25519', ['-t', 'ed25519']],
    ['rsa', ['-t', 'rsa', '-b', '2048']],
    ['ecdsa', ['-t', 'ecdsa']],
    ['rsa-pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']],
    ['ecdsa-pkcs8', ['-t', 'ecdsa', '-m', 'PKCS8']],
  ];
  for (const [name, args] of encrypted) {
    it(`encrypted ${name}: needs-passphrase, bad-passphrase, then loads with the right one`, async () => {
      const file = keygen(`id_${name}_enc`, [...args, '-N', PASS]);
      const err = await rejects(loadPrivateKey(file), 'needs-passphrase', file);
      assert.equal(err.needsPassphrase, true);
      assert.equal(err.file, file);
      const bad = await rejects(loadPrivateKey(file, WRONG), 'bad-passphrase', file);
      assert.equal(bad.needsPassphrase, false);
      const key = await loadPrivateKey(file, PASS);
      assert.ok(key.isPrivateKey());
      assert.equal(fingerprint(key.getPublicSSH()), keygenFingerprint(file + '.pub'));
    });
  }

  it('decrypting a key turns the optimizing compiler back on when fab deferred it (bcrypt is ~15x the CPU without it)', async () => {
    const file = keygen('id_ed25519_jit', ['-t', 'ed25519', '-N', PASS]);
    setV8Flag('--no-turbofan');
    try {
      await loadPrivateKey(file, PASS);
      assert.match(v8FlagState(), /(^| )--turbofan( |$)/);
    } finally {
      setV8Flag('--turbofan');
    }
  });

  it('reads a PKCS#8 Ed25519 key written by openssl', async () => {
    const file = join(dir, 'ed_openssl');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', file]);
    const key = await loadPrivateKey(file);
    assert.equal(key.type, 'ssh-ed25519');
    // ssh-keygen cannot read this file; openssl's own public key (SPKI DER ends with the raw 32 bytes) is the oracle.
    const spki = execFileSync('openssl', ['pkey', '-in', file, '-pubout', '-outform', 'DER']);
    assert.deepEqual(key.getPublicSSH().subarray(-32), spki.subarray(-32));
    const sig = key.sign(Buffer.from('hello'));
    assert.ok(!(sig instanceof Error));
  });

  it('names missing, directory, non-key and public-key files', async () => {
    await rejects(loadPrivateKey(join(dir, 'nope')), 'missing', join(dir, 'nope'));
    await rejects(loadPrivateKey(join(dir, 'nope', 'deeper')), 'missing', 'nope');
    mkdirSync(join(dir, 'adir'));
    await rejects(loadPrivateKey(join(dir, 'adir')), 'unreadable', 'adir');
    writeFileSync(join(dir, 'text'), 'hello, I am not a key\n');
    await rejects(loadPrivateKey(join(dir, 'text')), 'not-a-key', 'text');
    writeFileSync(join(dir, 'empty'), '');
    await rejects(loadPrivateKey(join(dir, 'empty')), 'not-a-key', 'empty');
    const file = keygen('id_for_pub', ['-t', 'ed25519', '-N', '']);
    const err = await rejects(loadPrivateKey(file + '.pub'), 'public-key', 'id_for_pub.pub');
    assert.ok(err.message.includes('pass the private key'));
    writeFileSync(join(dir, 'weird.pem'), '-----BEGIN FOO PRIVATE KEY-----\nAAAA\n-----END FOO PRIVATE KEY-----\n');
    await rejects(loadPrivateKey(join(dir, 'weird.pem')), 'unsupported', 'ssh-keygen -p -f');
  });

  it('expands ~ using $HOME and shows paths with ~', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home, '.ssh', 'id_ed25519')]);
      assert.equal(expandHome('~/.ssh/id_ed25519'), join(home, '.ssh', 'id_ed25519'));
      assert.equal(expandHome('~'), home);
      assert.equal(expandHome('/abs/~/x'), '/abs/~/x');
      assert.equal(displayPath(join(home, '.ssh', 'x')), '~/.ssh/x');
      const key = await loadPrivateKey('~/.ssh/id_ed25519');
      assert.equal(key.type, 'ssh-ed25519');
      await rejects(loadPrivateKey('~/.ssh/id_rsa'), 'missing', '~/.ssh/id_rsa');
    } finally {
      process.env.HOME = saved;
    }
  });

  it('default identities: ed25519, ecdsa, rsa', () => {
    assert.deepEqual([...DEFAULT_IDENTITIES], ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa']);
  });
});

describe('inspectPrivateKey', () => {
  it('gives the public half of an encrypted OpenSSH key without the passphrase, even with no .pub file', async () => {
    const file = keygen('id_inspect', ['-t', 'ed25519', '-N', PASS]);
    const fp = keygenFingerprint(file + '.pub');
    unlinkSync(file + '.pub');
    const info = await inspectPrivateKey(file);
    assert.equal(info.encrypted, true);
    assert.equal(info.privateKey, undefined);
    assert.equal(fingerprint(info.publicKey!.getPublicSSH()), fp);
    assert.equal(info.publicKey!.isPrivateKey(), false);
  });

  it('uses FILE.pub for an encrypted PEM key, and has no public half without it', async () => {
    const file = keygen('id_inspect_pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', PASS]);
    const info = await inspectPrivateKey(file);
    assert.equal(info.encrypted, true);
    assert.equal(fingerprint(info.publicKey!.getPublicSSH()), keygenFingerprint(file + '.pub'));
    copyFileSync(file, file + '-copy');
    const bare = await inspectPrivateKey(file + '-copy');
    assert.equal(bare.encrypted, true);
    assert.equal(bare.publicKey, undefined);
  });

  it('returns the usable key of an unencrypted file', async () => {
    const file = keygen('id_inspect_plain', ['-t', 'ecdsa', '-N', '']);
    const info = await inspectPrivateKey(file);
    assert.equal(info.encrypted, false);
    assert.ok(info.privateKey!.isPrivateKey());
    assert.equal(fingerprint(info.publicKey!.getPublicSSH()), keygenFingerprint(file + '.pub'));
    assert.equal(readFileSync(file, 'utf8').includes('OPENSSH PRIVATE KEY'), true);
  });
});
