// The built `fab` against the real test bed: ssh_config, authentication and host keys as a user meets them on the
// command line. HOME is the project directory, so ~/.ssh/config and ~/.ssh/known_hosts are the files written here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fab, makeProject } from '../support/fab.ts';
import { loadTestbed, type Testbed } from '../support/remote.ts';
import { forwarder, hostBlock, keyFingerprint, literal, makeKey, silentServer, startAgent, testbedHosts } from '../support/ssh-env.ts';

let tb: Testbed;
let otherKey: string;

/** A project (also HOME) whose ~/.ssh/config names the test bed hosts with these option lines for every host. */
function project(lines: string[], files: Record<string, string> = {}, extra = ''): string {
  const config = testbedHosts(tb) + extra + ['Host *', '  User fabtest', ...lines.map((l) => `  ${l}`), ''].join('\n');
  const dir = makeProject({ '.ssh/config': config, ...files }, 'fabts-e2e-ssh-');
  fs.chmodSync(path.join(dir, '.ssh'), 0o700);
  return dir;
}

const keyed = () => [`IdentityFile ${tb.keyPath}`, 'IdentitiesOnly yes'];
const known = () => ({ '.ssh/known_hosts': fs.readFileSync(tb.knownHostsPath, 'utf8') });

function assertOneLineFailure(stderr: string, pattern: RegExp): void {
  const failed = stderr.split('\n').filter((line) => /Failed:/.test(line));
  assert.equal(failed.length, 1, stderr);
  assert.match(failed[0]!, pattern);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

before(() => {
  tb = loadTestbed();
  otherKey = makeKey(path.join(makeProject({}, 'fabts-e2e-keys-'), 'unauthorized'));
});

describe('fab and ssh_config', () => {
  test('~/.ssh/config is read by default: web1 and web2 through the bastion', async () => {
    const dir = project(keyed(), known());
    const r = await fab(['-H', 'web1,web2', '--', 'id -un'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\[web1\] out: fabtest$/m);
    assert.match(r.stdout, /^\[web2\] out: fabtest$/m);
  });

  test('-F FILE is read instead', async () => {
    const dir = makeProject({}, 'fabts-e2e-ssh-');
    const r = await fab(['-F', tb.sshConfigPath, '-H', 'web1', '--', 'id -un'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\[web1\] out: fabtest$/m);
  });

  test('-u, --port and -i win over the file', async () => {
    const wrong = hostBlock(tb, 'wrong', 'direct', ['User nobody', `IdentityFile ${otherKey}`]).replace(/Port \d+/, 'Port 1');
    const dir = project([], known(), wrong);
    const r = await fab(['-u', 'fabtest', '--port', String(tb.hosts.direct.port), '-i', tb.keyPath, '-H', 'wrong', '--', 'id -un'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\[wrong\] out: fabtest$/m);
  });

  test('-t bounds the handshake with a host that never answers', async () => {
    const port = await silentServer();
    const dir = project(keyed(), {}, hostBlock(tb, 'silent', 'direct').replace(/Port \d+/, `Port ${port}`));
    const r = await fab(['-t', '1', '-H', 'silent', '--', 'true'], { cwd: dir });
    assert.equal(r.code, 1);
    assertOneLineFailure(r.stderr, /cannot connect to silent \(127\.0\.0\.1:\d+\): timed out after 1s/);
  });

  test('--show debug says what was negotiated, Compression included', async () => {
    const dir = project([...keyed(), 'Compression yes'], known());
    const r = await fab(['--show', 'debug', '-H', 'direct', '--', 'true'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[direct\] debug: negotiated kex \S+, host key ssh-ed25519, cipher \S+.*, compression zlib@openssh\.com/);
  });
});

describe('fab and authentication', () => {
  test('-i is repeatable and tried in order; -k keeps ~/.ssh keys out', async () => {
    const dir = project([], { ...known(), '.ssh/id_ed25519': fs.readFileSync(tb.keyPath, 'utf8') });
    fs.chmodSync(path.join(dir, '.ssh/id_ed25519'), 0o600);
    const both = await fab(['-k', '-i', otherKey, '-i', tb.keyPath, '-H', 'direct', '--', 'true'], { cwd: dir });
    assert.equal(both.code, 0, both.stderr);
    const defaults = await fab(['-H', 'direct', '--', 'true'], { cwd: dir });
    assert.equal(defaults.code, 0, `~/.ssh/id_ed25519 is a default key: ${defaults.stderr}`);
    const none = await fab(['-k', '-H', 'direct', '--', 'true'], { cwd: dir });
    assert.equal(none.code, 1);
    assertOneLineFailure(none.stderr, /fabtest@direct: authentication failed \(tried: nothing\)/);
  });

  test('a failure exits 1 with one line naming the host and the methods tried, and a stack only with --debug', async () => {
    const dir = project([`IdentityFile ${otherKey}`], known());
    const r = await fab(['-H', 'web1', '--', 'true'], { cwd: dir });
    assert.equal(r.code, 1);
    assertOneLineFailure(r.stderr, /^\[web1\] Failed: .*fabtest@bastion: authentication failed \(tried: publickey \S*unauthorized\); server accepts: publickey, password, keyboard-interactive/);
  });

  test('ssh-agent through SSH_AUTH_SOCK; -a leaves it out; -A forwards it to web1', async () => {
    const agent = await startAgent([tb.keyPath]);
    const dir = project([], known());
    const env = { SSH_AUTH_SOCK: agent.socket };
    const forwarded = await fab(['-k', '-A', '-H', 'web1', '--', 'ssh-add -l'], { cwd: dir, env });
    assert.equal(forwarded.code, 0, forwarded.stderr);
    assert.match(forwarded.stdout, new RegExp(`\\[web1\\] out: 256 ${literal(keyFingerprint(tb.keyPath))}`));
    const noAgent = await fab(['-k', '-a', '-H', 'direct', '--', 'true'], { cwd: dir, env });
    assert.equal(noAgent.code, 1);
    assertOneLineFailure(noAgent.stderr, /fabtest@direct: authentication failed \(tried: nothing\)/);
  });

  test('a password from the fabfile gets in, and never shows, not even with --show debug, nor when it is wrong', async () => {
    const fabfile = `import { env, run, task } from 'fabts';\nenv.password = process.env.SECRET_FOR_TEST;\nexport const who = task(async () => { await run('id -un'); });\n`;
    const dir = project([], { ...known(), 'fabfile.ts': fabfile });
    const right = await fab(['-k', '--show', 'debug', '-H', 'web1', 'who'], { cwd: dir, env: { SECRET_FOR_TEST: tb.password } });
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, /^\[web1\] out: fabtest$/m);
    assert.match(right.stderr, /\[web1\] debug: fabtest@web1: trying keyboard-interactive/);
    assert.ok(!(right.stdout + right.stderr).includes(tb.password), 'the password is not in the output');
    const secret = 'Not-The-Password-42';
    const wrong = await fab(['-k', '--show', 'debug', '-H', 'direct', 'who'], { cwd: dir, env: { SECRET_FOR_TEST: secret } });
    assert.equal(wrong.code, 1);
    assert.ok(!(wrong.stdout + wrong.stderr).includes(secret), 'the wrong password is not in the output');
    assertOneLineFailure(wrong.stderr, /fabtest@direct: authentication failed \(tried: keyboard-interactive\)/);
  });

  test('an encrypted key unlocks with keyPassphrase from the config, which never shows', async () => {
    const dir = project([], { ...known(), '.fabrc.json': JSON.stringify({ keyPassphrase: tb.keyPassphrase }) });
    const r = await fab(['-k', '-i', tb.encryptedKeyPath, '--show', 'debug', '-H', 'web2', '--', 'id -un'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\[web2\] out: fabtest$/m);
    assert.ok(!(r.stdout + r.stderr).includes(tb.keyPassphrase));
  });
});

describe('fab and host keys', () => {
  test('accept-new records new hosts (quietly the second time); -r refuses them; -D neither checks nor writes', async () => {
    const dir = project(keyed());
    const knownHosts = path.join(dir, '.ssh/known_hosts');

    const strict = await fab(['-r', '-H', 'direct', '--', 'true'], { cwd: dir });
    assert.equal(strict.code, 1);
    assertOneLineFailure(strict.stderr, new RegExp(`direct: host key for \\[127\\.0\\.0\\.1\\]:${tb.hosts.direct.port} is not known .*ssh-keyscan`));
    assert.equal(fs.existsSync(knownHosts), false);

    const off = await fab(['-D', '-H', 'web1', '--', 'true'], { cwd: dir });
    assert.equal(off.code, 0, off.stderr);
    assert.equal(fs.existsSync(knownHosts), false);

    const first = await fab(['-H', 'web1', '--', 'true'], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Permanently added '\[127\.0\.0\.1\]:2201' \(ED25519\)/);
    assert.doesNotMatch(first.stderr, /Warning: Warning:/);
    assert.equal(fs.readFileSync(knownHosts, 'utf8').trim().split('\n').length, 2, 'web1 and the bastion');
    const second = await fab(['-r', '-H', 'web1', '--', 'true'], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /Permanently added/);
  });

  test('a changed key is refused with the fingerprint and the file:line, exit 1', async () => {
    const line = `[127.0.0.1]:${tb.hosts.direct.port} ${tb.hosts.web1.hostKey}`;
    const dir = project(keyed(), { '.ssh/known_hosts': `# first\n${line}\n` });
    const r = await fab(['-H', 'direct', '--', 'true'], { cwd: dir });
    assert.equal(r.code, 1);
    assertOneLineFailure(
      r.stderr,
      new RegExp(`HOST KEY CHANGED .*${literal(tb.hosts.direct.hostKeyFingerprint)}.*${literal(path.join(dir, '.ssh/known_hosts'))}:2`),
    );
  });

  test('parallel runs, in one fab and in two at once, record every new host without losing a line', async () => {
    const links = await Promise.all(Array.from({ length: 8 }, () => forwarder(tb.hosts.direct.port)));
    const extra = links.map((link, i) => hostBlock(tb, `copy${i}`, 'direct').replace(/Port \d+/, `Port ${link.port}`)).join('\n');
    const existing = `# mine\nexample.org ${tb.hosts.web2.hostKey}`;
    const dir = project(keyed(), { '.ssh/known_hosts': existing }, extra);
    const names = links.map((_, i) => `copy${i}`);
    const [a, b] = await Promise.all([
      fab(['-P', '-H', [...names.slice(0, 4), 'web1'].join(','), '--', 'true'], { cwd: dir }),
      fab(['-P', '-H', [...names.slice(4), 'web2', 'direct'].join(','), '--', 'true'], { cwd: dir }),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const text = fs.readFileSync(path.join(dir, '.ssh/known_hosts'), 'utf8');
    assert.ok(text.startsWith(`${existing}\n`), text);
    const names_ = text.trim().split('\n').slice(2).map((l) => l.split(' ')[0]);
    const ports = [...links.map((l) => l.port), tb.hosts.direct.port, tb.hosts.bastion.port, 2201, 2202];
    assert.deepEqual(new Set(names_), new Set(ports.map((p) => `[127.0.0.1]:${p}`)), text);
  });
});
