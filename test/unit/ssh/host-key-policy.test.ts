// Host key policies over real keys and files; the fix commands in the messages are run for real.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeHostVerifier, type HostVerifierOptions } from '../../../src/ssh/host-key-policy.ts';
import { fingerprint } from '../../../src/ssh/known-hosts.ts';

let dir: string;
const blobs: Record<string, Buffer> = {};
const pubLines: Record<string, string> = {};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fabts-hkp-'));
  for (const [name, args] of [
    ['ed', ['-t', 'ed25519']],
    ['ed2', ['-t', 'ed25519']],
    ['rsa', ['-t', 'rsa', '-b', '2048']],
  ] as const) {
    const f = join(dir, `hk_${name}`);
    execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-f', f]);
    const [t, b64] = readFileSync(f + '.pub', 'utf8').split(' ') as [string, string];
    blobs[name] = Buffer.from(b64, 'base64');
    pubLines[name] = `${t} ${b64}`;
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

function setup(name: string, content?: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const file = join(d, 'known_hosts');
  if (content !== undefined) writeFileSync(file, content);
  return file;
}

function verifier(opts: Partial<HostVerifierOptions> & { writeFile: string }, warnings: string[] = []) {
  return makeHostVerifier({
    policy: 'accept-new',
    files: [opts.writeFile],
    host: 'web1.example',
    port: 22,
    onWarning: (m) => warnings.push(m),
    ...opts,
  });
}

describe('makeHostVerifier', () => {
  it('accept-new records an unknown host once, warns like OpenSSH, then matches', async () => {
    const file = setup('acceptnew');
    const warnings: string[] = [];
    const v = verifier({ writeFile: file, port: 2222 }, warnings);
    assert.equal(await v.verify(blobs.ed!), true);
    assert.equal(v.error, undefined);
    assert.deepEqual(warnings, ["Permanently added '[web1.example]:2222' (ED25519) to the list of known hosts."]);
    assert.equal(readFileSync(file, 'utf8'), `[web1.example]:2222 ${pubLines.ed}\n`);
    // ssh-keygen finds it.
    execFileSync('ssh-keygen', ['-F', '[web1.example]:2222', '-f', file]);
    assert.equal(await v.verify(blobs.ed!), true);
    assert.equal(warnings.length, 1);
    assert.equal(v.fingerprint, fingerprint(blobs.ed!));
  });

  it('accept-new: many parallel connections to one new host write one line and warn once', async () => {
    const file = setup('parallel');
    const warnings: string[] = [];
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier({ writeFile: file }, warnings).verify(blobs.rsa!)));
    assert.ok(results.every(Boolean));
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 1);
    assert.equal(warnings.length, 1);
  });

  it('accept-new hashes new entries on request', async () => {
    const file = setup('hashed');
    assert.equal(await verifier({ writeFile: file, hash: true }).verify(blobs.ed!), true);
    assert.ok(readFileSync(file, 'utf8').startsWith('|1|'));
    const out = execFileSync('ssh-keygen', ['-F', 'web1.example', '-f', file], { encoding: 'utf8' });
    assert.match(out, /found: line 1/);
  });

  it('a changed key is refused under accept-new and strict; the message gives the fix, which works', async () => {
    const file = setup('changed', `# header\n[web1.example]:2222 ${pubLines.ed}\nother ${pubLines.ed2}\n`);
    for (const policy of ['accept-new', 'strict'] as const) {
      const v = verifier({ writeFile: file, policy, port: 2222, displayName: 'web1' });
      assert.equal(await v.verify(blobs.ed2!), false);
      const err = v.error!;
      assert.equal(err.code, 'HOST_KEY');
      assert.equal(err.host, 'web1');
      assert.ok(!err.message.includes('\n'));
      assert.ok(err.message.startsWith('web1: HOST KEY CHANGED'), err.message);
      assert.ok(err.message.includes(fingerprint(blobs.ed2!)), 'new fingerprint');
      assert.ok(err.message.includes(`${file}:2`), 'file:line of the old entry');
      assert.ok(err.message.includes(`ssh-keygen -R '[web1.example]:2222' -f ${file}`), err.message);
    }
    // The file was not touched.
    assert.equal(readFileSync(file, 'utf8').split('\n').length, 4);
    // Run the suggested command: the old entry goes, and accept-new then records the new key.
    const v = verifier({ writeFile: file, port: 2222 });
    await v.verify(blobs.ed2!);
    const cmd = /ssh-keygen -R .*$/.exec(v.error!.message)![0];
    execFileSync('sh', ['-c', `${cmd} 2>/dev/null`]);
    assert.equal(await v.verify(blobs.ed2!), true);
    assert.equal(v.error, undefined);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes(`other ${pubLines.ed2}`));
    assert.ok(text.includes(`[web1.example]:2222 ${pubLines.ed2}`));
    assert.ok(!text.includes(pubLines.ed!));
  });

  it('a key of another type than the one on record counts as changed (OpenSSH behaviour)', async () => {
    const file = setup('othertype', `web1.example ${pubLines.rsa}\n`);
    const v = verifier({ writeFile: file });
    assert.equal(await v.verify(blobs.ed!), false);
    assert.match(v.error!.message, /server sent ED25519 host key SHA256:\S+, but .*known_hosts:1 lists its RSA key instead/);
    assert.deepEqual(await v.hostKeyAlgorithms(), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']);
  });

  it('strict refuses unknown hosts with the fingerprint and a way to accept; writes nothing', async () => {
    const file = setup('strict');
    const v = verifier({ writeFile: file, policy: 'strict', port: 2200 });
    assert.equal(await v.verify(blobs.ed!), false);
    const m = v.error!.message;
    assert.ok(!m.includes('\n'));
    assert.ok(m.includes('[web1.example]:2200') && m.includes(fingerprint(blobs.ed!)) && m.includes('ED25519'), m);
    assert.ok(m.includes(`ssh-keyscan -p 2200 -t ed25519 web1.example >> ${file}`), m);
    assert.ok(m.includes('accept-new'));
    assert.equal(existsSync(file), false);
    // Strict accepts what is known.
    writeFileSync(file, `[web1.example]:2200 ${pubLines.ed}\n`);
    assert.equal(await v.verify(blobs.ed!), true);
    assert.equal(v.error, undefined);
  });

  it('revoked keys are refused even when listed as known', async () => {
    const file = setup('revoked', `web1.example ${pubLines.ed}\n@revoked * ${pubLines.ed}\n`);
    for (const policy of ['accept-new', 'strict'] as const) {
      const v = verifier({ writeFile: file, policy });
      assert.equal(await v.verify(blobs.ed!), false);
      assert.ok(v.error!.message.includes('@revoked') && v.error!.message.includes(`${file}:2`), v.error!.message);
    }
  });

  it("'off' accepts anything but a revoked key, writes nothing, and warns loudly about a changed key", async () => {
    const file = setup('off', `web1.example ${pubLines.ed}\n@revoked * ${pubLines.rsa}\n`);
    const warnings: string[] = [];
    const v = verifier({ writeFile: file, policy: 'off' }, warnings);
    assert.equal(await v.verify(blobs.ed!), true);
    assert.equal(v.untrusted, false);
    assert.deepEqual(warnings, []);
    assert.equal(await v.verify(blobs.ed2!), true);
    assert.equal(v.untrusted, true, 'no password goes to a host whose key changed');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^REMOTE HOST IDENTIFICATION HAS CHANGED for web1\.example: .*differs from the one in .*:1\. .*host key checking is off \(-D\)/);
    assert.equal(await v.verify(blobs.rsa!), false);
    assert.match(v.error!.message, /marked @revoked/);
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 2);
    const other = join(dir, 'off', 'never');
    assert.equal(await verifier({ writeFile: other, policy: 'off' }).verify(blobs.ed!), true);
    assert.equal(existsSync(other), false);
    assert.equal(await v.hostKeyAlgorithms(), undefined);
  });

  it("'ask' shows the fingerprint, records on yes or the fingerprint, refuses on no and when no one can answer", async () => {
    const questions: string[] = [];
    const asking = (answer: string | undefined, name: string) => {
      const file = setup(name);
      let stopped = 0;
      const v = verifier({ writeFile: file, policy: 'ask', onAsk: () => stopped++, ask: async (q) => (questions.push(q), answer) });
      return { file, v, stopped: () => stopped };
    };
    const yes = asking('yes', 'ask-yes');
    assert.equal(await yes.v.verify(blobs.ed!), true);
    assert.equal(yes.stopped(), 1);
    assert.match(questions[0]!, new RegExp(`^The authenticity of host 'web1\\.example' can't be established\\. ED25519 key fingerprint is ${fingerprint(blobs.ed!).replace(/[+/]/g, '\\$&')}\\. Are you sure you want to continue connecting \\(yes/no/\\[fingerprint\\]\\)\\?$`));
    assert.equal(readFileSync(yes.file, 'utf8'), `web1.example ${pubLines.ed}\n`);
    assert.equal(await yes.v.verify(blobs.ed!), true, 'known now: not asked again');
    assert.equal(questions.length, 1);

    const pasted = asking(fingerprint(blobs.ed!), 'ask-fp');
    assert.equal(await pasted.v.verify(blobs.ed!), true);
    const wrongPaste = asking(fingerprint(blobs.ed2!), 'ask-wrongfp');
    assert.equal(await wrongPaste.v.verify(blobs.ed!), false);

    const no = asking('no', 'ask-no');
    assert.equal(await no.v.verify(blobs.ed!), false);
    assert.match(no.v.error!.message, /not accepted at the prompt/);
    assert.equal(existsSync(no.file), false);

    const nobody = asking(undefined, 'ask-nobody');
    assert.equal(await nobody.v.verify(blobs.ed!), false);
    assert.match(nobody.v.error!.message, /StrictHostKeyChecking is ask, but there is no terminal to ask at; .*ssh-keyscan -t ed25519 web1\.example >> /);
    assert.equal(existsSync(nobody.file), false);
  });

  it('a host known only by a @cert-authority line is refused under accept-new, ask and strict, and nothing is written', async () => {
    for (const policy of ['accept-new', 'ask', 'strict'] as const) {
      const file = setup(`ca-${policy}`, `@cert-authority *.example ${pubLines.rsa}\n`);
      const v = verifier({ writeFile: file, policy, ask: async () => 'yes' });
      assert.equal(await v.verify(blobs.ed!), false);
      assert.match(v.error!.message, /:1 says the host keys of web1\.example are signed by a certificate authority, but fabts cannot check host certificates/);
      assert.equal(readFileSync(file, 'utf8'), `@cert-authority *.example ${pubLines.rsa}\n`);
    }
  });

  it('reads several files and writes only the first', async () => {
    const global = setup('multi-global', `web1.example ${pubLines.ed}\n`);
    const user = join(dir, 'multi-user', 'known_hosts');
    const v = makeHostVerifier({ policy: 'strict', files: [user, global], writeFile: user, host: 'web1.example', port: 22 });
    assert.equal(await v.verify(blobs.ed!), true);
    const w = makeHostVerifier({ policy: 'accept-new', files: [user, global], writeFile: user, host: 'web2.example', port: 22 });
    assert.equal(await w.verify(blobs.ed!), true);
    assert.equal(readFileSync(user, 'utf8'), `web2.example ${pubLines.ed}\n`);
    assert.equal(readFileSync(global, 'utf8'), `web1.example ${pubLines.ed}\n`);
  });

  it('the ssh2 callback form reports through the callback', async () => {
    const file = setup('callback', `web1.example ${pubLines.ed}\n`);
    const v = verifier({ writeFile: file, policy: 'strict' });
    const ok = await new Promise<boolean>((resolve) => v.hostVerifier(blobs.ed!, resolve));
    assert.equal(ok, true);
    const bad = await new Promise<boolean>((resolve) => v.hostVerifier(blobs.ed2!, resolve));
    assert.equal(bad, false);
    assert.equal(v.error!.code, 'HOST_KEY');
  });

  it('malformed blobs, unreadable known_hosts and unwritable files are handled', async () => {
    const file = setup('broken');
    assert.equal(await verifier({ writeFile: file }).verify(Buffer.from('garbage')), false);
    // A directory where the file should be: reading fails -> refuse with a clear message.
    const asDir = join(dir, 'broken', 'dir_known_hosts');
    mkdirSync(asDir);
    const v = verifier({ writeFile: asDir });
    assert.equal(await v.verify(blobs.ed!), false);
    assert.match(v.error!.message, /cannot read known_hosts file .*dir_known_hosts \(EISDIR\)/);
    // Writing fails (parent is a file): accept-new still accepts for this connection, with a warning.
    writeFileSync(join(dir, 'broken', 'plainfile'), 'x');
    const warnings: string[] = [];
    const w = verifier({ writeFile: join(dir, 'broken', 'plainfile', 'known_hosts') }, warnings);
    assert.equal(await w.verify(blobs.ed!), true);
    assert.match(warnings[0]!, /failed to add 'web1.example' \(ED25519 SHA256:.*\) to the list of known hosts/);
  });
});
