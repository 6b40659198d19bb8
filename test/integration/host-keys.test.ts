// Host keys through the product: run() on the real test bed hosts, with known_hosts files written here, and the
// policies accept-new (default), strict (-r) and off (-D), for targets and for the bastion in front of them.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { FabError } from '../../src/errors.ts';
import { run } from '../../src/ops/command/run.ts';
import { parseKnownHosts } from '../../src/ssh/known-hosts.ts';
import { onHost, type Testbed } from '../support/remote.ts';
import { forwarder, freshHome, homeFile, hostBlock, literal, recording, testbedHosts, useSettings } from '../support/ssh-env.ts';

let tb: Testbed;
let home: string;

const name = (port: number) => `[127.0.0.1]:${port}`;
const line = (host: 'direct' | 'bastion' | 'web1' | 'web2', key = tb.hosts[host].hostKey) => `${name(tb.hosts[host].port)} ${key}`;

/** ~/.ssh/config naming the test bed hosts, keyed, with these known_hosts files (relative to HOME) and options. */
function configure(knownHosts: string[] = ['.ssh/known_hosts'], lines: string[] = [], extra = ''): string[] {
  const files = knownHosts.map((file) => path.join(home, file));
  homeFile(
    '.ssh/config',
    testbedHosts(tb) + extra + ['Host *', '  User fabtest', `  IdentityFile ${tb.keyPath}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${files.join(' ')}`, ...lines.map((l) => `  ${l}`), ''].join('\n'),
  );
  for (const file of files) fs.rmSync(file, { force: true });
  return files;
}

async function reach(host: string) {
  return recording(() => onHost(host, () => run('true', { hide: true })));
}

function warnings(list: Awaited<ReturnType<typeof reach>>['events']): string[] {
  return list.flatMap((e) => (e.kind === 'warning' ? [e.message] : []));
}

function hostKeyError(error: unknown): FabError {
  assert.ok(error instanceof FabError, `expected a host key error, got ${String(error)}`);
  assert.equal(error.code, 'HOST_KEY', error.message);
  assert.doesNotMatch(error.message, /\n/);
  return error;
}

before(async () => {
  home = freshHome();
  tb = await useSettings();
});

describe('accept-new (the default)', () => {
  test('records an unknown host, and the bastion in front of it, then is quiet', async () => {
    const [file] = configure();
    await useSettings();
    const first = await reach('web1');
    assert.equal(first.error, undefined, String(first.error));
    assert.deepEqual(warnings(first.events).sort(), [
      `Permanently added '${name(2201)}' (ED25519) to the list of known hosts.`,
      `Permanently added '${name(tb.hosts.bastion.port)}' (ED25519) to the list of known hosts.`,
    ]);
    const text = fs.readFileSync(file!, 'utf8');
    assert.deepEqual(text.trim().split('\n').sort(), [line('web1'), line('bastion')].sort());
    assert.equal(fs.statSync(file!).mode & 0o777, 0o600);
    // OpenSSH reads what was written.
    assert.equal(spawnSync('ssh-keygen', ['-F', name(2201), '-f', file!]).status, 0);

    await useSettings();
    const again = await reach('web1');
    assert.equal(again.error, undefined);
    assert.deepEqual(warnings(again.events), []);
    assert.equal(fs.readFileSync(file!, 'utf8'), text);
  });

  test('StrictHostKeyChecking accept-new in ssh_config is the same', async () => {
    const [file] = configure(undefined, ['StrictHostKeyChecking accept-new']);
    await useSettings();
    assert.equal((await reach('direct')).error, undefined);
    assert.equal(fs.readFileSync(file!, 'utf8'), `${line('direct')}\n`);
  });
});

describe('strict (-r)', () => {
  test('refuses an unknown host, says its fingerprint and how to add it; the advice works', async () => {
    const [file] = configure();
    await useSettings({ hostKeyPolicy: 'strict' });
    const error = hostKeyError((await reach('direct')).error);
    const port = tb.hosts.direct.port;
    assert.match(error.message, new RegExp(`^direct: host key for ${literal(name(port))} is not known \\(ED25519 ${literal(tb.hosts.direct.hostKeyFingerprint)}\\)`));
    const advice = new RegExp(`ssh-keyscan -p ${port} -t ed25519 127\\.0\\.0\\.1 >> ${literal(file!)}$`).exec(error.message);
    assert.ok(advice, error.message);
    assert.equal(fs.existsSync(file!), false, 'nothing written');
    execFileSync('sh', ['-c', advice[0]], { stdio: 'ignore' });
    await useSettings({ hostKeyPolicy: 'strict' });
    assert.equal((await reach('direct')).error, undefined);
  });

  test('StrictHostKeyChecking yes in ssh_config is strict; -r wins over StrictHostKeyChecking no', async () => {
    configure(undefined, ['StrictHostKeyChecking yes']);
    await useSettings();
    hostKeyError((await reach('direct')).error);
    configure(undefined, ['StrictHostKeyChecking no']);
    await useSettings({ hostKeyPolicy: 'strict' });
    hostKeyError((await reach('direct')).error);
  });

  test('a bastion missing from known_hosts stops the hosts behind it, and the error names the bastion', async () => {
    const [file] = configure();
    fs.writeFileSync(file!, `${line('web1')}\n`);
    await useSettings({ hostKeyPolicy: 'strict' });
    const error = hostKeyError((await reach('web1')).error);
    assert.match(error.message, new RegExp(`^bastion: host key for ${literal(name(tb.hosts.bastion.port))} is not known`));
  });
});

describe('off (-D)', () => {
  test('neither checks nor writes: unknown and changed keys alike', async () => {
    const [file] = configure();
    await useSettings({ hostKeyPolicy: 'off' });
    assert.equal((await reach('web1')).error, undefined);
    assert.equal(fs.existsSync(file!), false);
    fs.writeFileSync(file!, `${line('direct', tb.hosts.web2.hostKey)}\n`);
    await useSettings({ hostKeyPolicy: 'off' });
    assert.equal((await reach('direct')).error, undefined);
  });

  test('StrictHostKeyChecking no in ssh_config is off; -D wins over StrictHostKeyChecking yes', async () => {
    const [file] = configure(undefined, ['StrictHostKeyChecking no']);
    await useSettings();
    assert.equal((await reach('direct')).error, undefined);
    assert.equal(fs.existsSync(file!), false);
    configure(undefined, ['StrictHostKeyChecking yes']);
    await useSettings({ hostKeyPolicy: 'off' });
    assert.equal((await reach('direct')).error, undefined);
  });
});

describe('-D with a recorded key that differs (issue 12, item 15)', () => {
  test('connects, but warns loudly like OpenSSH, naming the file:line; a @revoked key is still refused', async () => {
    const [file] = configure();
    fs.writeFileSync(file!, `${line('direct', tb.hosts.web2.hostKey)}\n`);
    await useSettings({ hostKeyPolicy: 'off' });
    const changed = await reach('direct');
    assert.equal(changed.error, undefined);
    const [warning, ...more] = warnings(changed.events);
    assert.deepEqual(more, []);
    assert.match(warning ?? '', /^REMOTE HOST IDENTIFICATION HAS CHANGED for /);
    assert.ok(warning!.includes(`${tb.hosts.direct.hostKeyFingerprint}`), warning);
    assert.ok(warning!.includes(`${file}:1`), warning);
    assert.match(warning!, /host key checking is off \(-D\)/);

    fs.writeFileSync(file!, `@revoked * ${tb.hosts.direct.hostKey}\n`);
    await useSettings({ hostKeyPolicy: 'off' });
    assert.match(hostKeyError((await reach('direct')).error).message, /marked @revoked/);
  });
});

describe('-D and passwords (issue 12, item 15)', () => {
  test('no password is sent to a host whose key differs from the recorded one; it is when the key matches', async () => {
    const file = path.join(home, '.ssh', 'known_hosts');
    homeFile('.ssh/config', testbedHosts(tb) + ['Host *', '  User fabtest', `  UserKnownHostsFile ${file}`, ''].join('\n'));
    fs.writeFileSync(file, `${line('direct')}\n`);
    await useSettings({ hostKeyPolicy: 'off', noKeys: true, password: tb.password });
    assert.equal((await reach('direct')).error, undefined, 'the password logs in while the key matches');

    fs.writeFileSync(file, `${line('direct', tb.hosts.web2.hostKey)}\n`);
    await useSettings({ hostKeyPolicy: 'off', noKeys: true, password: tb.password });
    const changed = await reach('direct');
    assert.ok(changed.error instanceof FabError, String(changed.error));
    assert.match(changed.error.message, /authentication failed/);
    assert.match(warnings(changed.events)[0] ?? '', /REMOTE HOST IDENTIFICATION HAS CHANGED.*password authentication is disabled/);
  });
});

describe('GlobalKnownHostsFile (issue 12, item 8)', () => {
  /** A config with a user known_hosts and a global one (both under HOME: the machine's /etc/ssh is left alone). */
  function withGlobal(text: string): { user: string; global: string } {
    const global = path.join(home, 'global_known_hosts');
    const [user] = configure(undefined, [`GlobalKnownHostsFile ${global}`]);
    fs.writeFileSync(global, text);
    return { user: user!, global };
  }

  test('a different key pinned in the global file is refused, and nothing is recorded', async () => {
    const { user, global } = withGlobal(`${line('direct', tb.hosts.web2.hostKey)}\n`);
    for (const policy of ['accept-new', 'strict'] as const) {
      await useSettings({ hostKeyPolicy: policy });
      const error = hostKeyError((await reach('direct')).error);
      assert.match(error.message, /HOST KEY CHANGED/);
      assert.ok(error.message.includes(`${global}:1`), error.message);
      assert.equal(fs.existsSync(user), false, 'the user file was not written');
    }
  });

  test('the key pinned in the global file is accepted without recording it in the user file', async () => {
    const { user } = withGlobal(`${line('direct')}\n`);
    await useSettings({ hostKeyPolicy: 'strict' });
    const known = await reach('direct');
    assert.equal(known.error, undefined);
    assert.deepEqual(warnings(known.events), []);
    assert.equal(fs.existsSync(user), false);
  });

  test('@revoked in the global file refuses the key, whatever the user file says', async () => {
    const { user } = withGlobal(`@revoked * ${tb.hosts.direct.hostKey}\n`);
    fs.writeFileSync(user, `${line('direct')}\n`);
    await useSettings();
    const error = hostKeyError((await reach('direct')).error);
    assert.match(error.message, /marked @revoked in .*global_known_hosts:1/);
  });

  test('@cert-authority for the host: refused clearly (ssh2 cannot check host certificates), never recorded', async () => {
    const ca = path.join(home, 'ca');
    fs.rmSync(ca, { force: true });
    fs.rmSync(`${ca}.pub`, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', ca]);
    const caKey = fs.readFileSync(`${ca}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const { user } = withGlobal(`@cert-authority *127.0.0.1* ${caKey}\n`);
    await useSettings();
    const error = hostKeyError((await reach('direct')).error);
    assert.match(error.message, /certificate authority/);
    assert.match(error.message, /global_known_hosts:1/);
    assert.match(error.message, /cannot check host certificates/);
    assert.equal(fs.existsSync(user), false, 'the plain key was not recorded');
  });

  test('without GlobalKnownHostsFile, ssh_config resolution names the OpenSSH defaults', async () => {
    const { resolveSshHost, emptySshConfig } = await import('../../src/hosts/ssh-config.ts');
    assert.deepEqual(resolveSshHost(emptySshConfig(), 'web1').globalKnownHostsFiles, ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']);
  });
});

describe('a changed key', () => {
  test('is refused with the fingerprint and the known_hosts file:line to fix, like OpenSSH', async () => {
    const [file] = configure();
    const before = ['# my hosts', line('web2'), line('direct', tb.hosts.bastion.hostKey), ''].join('\n');
    fs.writeFileSync(file!, before);
    for (const policy of ['accept-new', 'strict'] as const) {
      await useSettings({ hostKeyPolicy: policy });
      const error = hostKeyError((await reach('direct')).error);
      const port = tb.hosts.direct.port;
      assert.match(error.message, new RegExp(`^direct: HOST KEY CHANGED for ${literal(name(port))} -- possible man-in-the-middle attack`));
      assert.match(error.message, new RegExp(`ED25519 host key ${literal(tb.hosts.direct.hostKeyFingerprint)}, which differs from the one in ${literal(file!)}:3`));
      assert.match(error.message, new RegExp(`ssh-keygen -R '${literal(name(port))}' -f ${literal(file!)}$`));
      assert.equal(fs.readFileSync(file!, 'utf8'), before, 'known_hosts untouched');
    }
    // The advice works: remove the old line, and accept-new records the new key.
    execFileSync('ssh-keygen', ['-q', '-R', name(tb.hosts.direct.port), '-f', file!], { stdio: 'ignore' });
    await useSettings();
    assert.equal((await reach('direct')).error, undefined);
  });

  test("the bastion's own key is checked too: a changed one stops web1", async () => {
    const [file] = configure();
    fs.writeFileSync(file!, `${line('web1')}\n${line('bastion', tb.hosts.direct.hostKey)}\n`);
    await useSettings();
    const error = hostKeyError((await reach('web1')).error);
    assert.match(error.message, new RegExp(`^bastion: HOST KEY CHANGED for ${literal(name(tb.hosts.bastion.port))}.*${literal(file!)}:2`));
  });
});

describe('reading known_hosts like OpenSSH', () => {
  test('hashed entries (ssh-keygen -H) are matched, and a changed hashed entry is refused by its line', async () => {
    const [file] = configure();
    fs.writeFileSync(file!, ['direct', 'bastion', 'web1'].map((h) => line(h as 'direct')).join('\n') + '\n');
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file!], { stdio: 'ignore' });
    assert.match(fs.readFileSync(file!, 'utf8'), /^\|1\|/);
    await useSettings({ hostKeyPolicy: 'strict' });
    assert.equal((await reach('web1')).error, undefined);
    assert.equal((await reach('direct')).error, undefined);

    fs.writeFileSync(file!, `${line('direct', tb.hosts.web1.hostKey)}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file!], { stdio: 'ignore' });
    await useSettings({ hostKeyPolicy: 'strict' });
    assert.match(hostKeyError((await reach('direct')).error).message, new RegExp(`HOST KEY CHANGED.*${literal(file!)}:1`));
  });

  test('a host on a port other than 22 is known only as [host]:port, not by its bare name', async () => {
    const [file] = configure();
    fs.writeFileSync(file!, `127.0.0.1 ${tb.hosts.direct.hostKey}\n`);
    await useSettings({ hostKeyPolicy: 'strict' });
    assert.match(hostKeyError((await reach('direct')).error).message, /is not known/);
  });

  test('HostKeyAlias is recorded and looked up as the alias alone, as ssh does: each reads what the other wrote', async () => {
    const [file] = configure(undefined, [], hostBlock(tb, 'aliased', 'direct', ['HostKeyAlias db-alias']));
    await useSettings();
    assert.equal((await reach('aliased')).error, undefined);
    assert.equal(fs.readFileSync(file!, 'utf8'), `db-alias ${tb.hosts.direct.hostKey}\n`);
    const ssh = spawnSync('ssh', ['-F', path.join(home, '.ssh/config'), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', 'aliased', 'true'], { encoding: 'utf8' });
    assert.equal(ssh.status, 0, ssh.stderr);
    fs.writeFileSync(file!, '');
    spawnSync('ssh', ['-F', path.join(home, '.ssh/config'), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', 'aliased', 'true']);
    await useSettings({ hostKeyPolicy: 'strict' });
    assert.equal((await reach('aliased')).error, undefined, fs.readFileSync(file!, 'utf8'));
  });

  test('env.knownHostsFile wins over UserKnownHostsFile', async () => {
    configure(['.ssh/ignored']);
    const file = homeFile('.ssh/chosen', `${line('direct')}\n`);
    await useSettings({ hostKeyPolicy: 'strict', knownHostsFile: file });
    assert.equal((await reach('direct')).error, undefined);
  });

  test('UserKnownHostsFile none: nothing to check against, so refused (as ssh does), unless -D', async () => {
    configure([]);
    homeFile('.ssh/config', fs.readFileSync(path.join(home, '.ssh/config'), 'utf8').replace(/UserKnownHostsFile.*/, 'UserKnownHostsFile none'));
    await useSettings();
    assert.match(hostKeyError((await reach('direct')).error).message, /no known_hosts file is configured \(UserKnownHostsFile none\).*-D/);
    await useSettings({ hostKeyPolicy: 'off' });
    assert.equal((await reach('direct')).error, undefined);
  });

  test('several UserKnownHostsFile files are all read; new hosts go to the first', async () => {
    const [first, second] = configure(['.ssh/kh_first', '.ssh/kh_second']);
    fs.writeFileSync(second!, `${line('direct')}\n`);
    await useSettings({ hostKeyPolicy: 'strict' });
    assert.equal((await reach('direct')).error, undefined);
    await useSettings();
    assert.equal((await reach('web1')).error, undefined);
    assert.deepEqual(fs.readFileSync(first!, 'utf8').trim().split('\n').sort(), [line('bastion'), line('web1')].sort());
    assert.equal(fs.readFileSync(second!, 'utf8'), `${line('direct')}\n`);
  });
});

describe('concurrent accept-new', () => {
  test('a parallel run over many new hosts loses no line and keeps the existing bytes intact', async () => {
    const links = await Promise.all(Array.from({ length: 8 }, () => forwarder(tb.hosts.direct.port)));
    const extra = links.map((link, i) => hostBlock(tb, `copy${i}`, 'direct').replace(/Port \d+/, `Port ${link.port}`)).join('\n');
    const [file] = configure(undefined, [], extra);
    // A file as people have them: a comment, CRLF, a hashed entry, and no newline at the end.
    const existing = `# keep me\r\nexample.org ${tb.hosts.web2.hostKey}\r\n|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|AAAAAAAAAAAAAAAAAAAAAAAAAAA= ${tb.hosts.web2.hostKey}\nlast.example ${tb.hosts.web2.hostKey}`;
    fs.writeFileSync(file!, existing);
    await useSettings();
    const hosts = [...links.map((_, i) => `copy${i}`), 'direct', 'web1', 'web2'];
    const results = await Promise.all(hosts.map(reach));
    for (const [i, r] of results.entries()) assert.equal(r.error, undefined, `${hosts[i]}: ${String(r.error)}`);
    const text = fs.readFileSync(file!, 'utf8');
    assert.ok(text.startsWith(`${existing}\n`), 'the existing bytes come first, unchanged, then a newline');
    const added = text.slice(existing.length + 1).trim().split('\n').sort();
    const expected = [...links.map((l) => `${name(l.port)} ${tb.hosts.direct.hostKey}`), line('direct'), line('bastion'), line('web1'), line('web2')].sort();
    assert.deepEqual(added, expected);
    assert.equal(parseKnownHosts(text, file!).length, 3 + expected.length, 'every line parses');
  });
});
