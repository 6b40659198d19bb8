// OpenSSH client config through the product: tasks run with run() on the real test bed hosts, the connection made by
// the pool from what ~/.ssh/config (or -F) says, and flags / env winning over the file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { run } from '../../src/ops/command/run.ts';
import { connectionFor } from '../../src/ssh/pool.ts';
import { resolveTarget } from '../../src/ssh/target.ts';
import { onHost, type Testbed } from '../support/remote.ts';
import {
  copyKnownHosts,
  forwarder,
  freshHome,
  homeFile,
  hostBlock,
  keyFingerprint,
  literal,
  makeKey,
  recording,
  setAuthSock,
  silentServer,
  sshdLog,
  startAgent,
  testbedHosts,
  useSettings,
} from '../support/ssh-env.ts';

let tb: Testbed;
let home: string;
let otherKey: string;

/** The sshd port that served a command (from $SSH_CONNECTION; the bastion, in inetd mode, reports none). */
async function servedBy(host: string): Promise<string> {
  const result = await onHost(host, () => run("echo $SSH_CONNECTION", { hide: true }));
  return result.stdout.trim().split(' ')[3] ?? '';
}

function common(lines: string[] = []): string {
  return ['Host *', '  User fabtest', `  IdentityFile ${tb.keyPath}`, '  IdentitiesOnly yes', ...lines.map((l) => `  ${l}`), ''].join('\n');
}

before(async () => {
  home = freshHome();
  tb = await useSettings();
  copyKnownHosts(tb);
  otherKey = makeKey(path.join(home, 'keys', 'unauthorized'));
});

describe('which config is read', () => {
  test('~/.ssh/config is read by default', async () => {
    homeFile('.ssh/config', testbedHosts(tb) + common());
    await useSettings();
    assert.equal(await servedBy('direct'), String(tb.hosts.direct.port));
    assert.equal(await servedBy('web1'), '2201');
  });

  test('-F FILE is read instead of ~/.ssh/config', async () => {
    homeFile('.ssh/config', hostBlock(tb, 'direct', 'direct').replace(/Port \d+/, 'Port 1') + common());
    const file = path.join(home, 'other_config');
    fs.writeFileSync(file, testbedHosts(tb) + common());
    await useSettings({ sshConfigPath: file });
    assert.equal(await servedBy('direct'), String(tb.hosts.direct.port));
  });

  test('useSshConfig: false reads no config at all: aliases stay plain names', async () => {
    homeFile('.ssh/config', testbedHosts(tb) + common());
    await useSettings({ useSshConfig: false, keyFilename: [tb.keyPath], user: 'fabtest' });
    await assert.rejects(servedBy('direct'), /direct.*does not resolve/);
    assert.equal(await servedBy(`127.0.0.1:${tb.hosts.direct.port}`), String(tb.hosts.direct.port));
  });
});

describe('Host and Match', () => {
  test('Host patterns with *, ? and !, and the first value obtained wins', async () => {
    homeFile(
      '.ssh/config',
      [
        'Host d?rect-* !direct-bad',
        '  HostName 127.0.0.1',
        `  Port ${tb.hosts.direct.port}`,
        'Host direct-*',
        '  HostName 127.0.0.1',
        '  Port 1',
        '',
      ].join('\n') + common(),
    );
    await useSettings();
    assert.equal(await servedBy('direct-ok'), String(tb.hosts.direct.port));
    assert.equal(await servedBy('dXrect-1'), String(tb.hosts.direct.port));
    await assert.rejects(servedBy('direct-bad'), /127\.0\.0\.1:1\b.*connection refused/);
  });

  test('Match originalhost, host (the HostName so far), user and all', async () => {
    homeFile(
      '.ssh/config',
      [
        'Host m-*',
        '  User fabtest',
        'Match originalhost m-direct',
        '  HostName 127.0.0.1',
        'Match host 127.0.0.1 user fabtest',
        `  Port ${tb.hosts.direct.port}`,
        'Match all',
        '  Port 1',
        `  IdentityFile ${tb.keyPath}`,
        '',
      ].join('\n'),
    );
    await useSettings();
    assert.equal(await servedBy('m-direct'), String(tb.hosts.direct.port));
    // The user from the host string is what Match user sees: this one falls through to Port 1.
    await assert.rejects(servedBy('nobody@m-direct'), /127\.0\.0\.1:1\b/);
  });

  test('Include with globs, relative to ~/.ssh, also from a -F file elsewhere', async () => {
    homeFile('.ssh/conf.d/10-direct.conf', hostBlock(tb, 'inc-direct', 'direct'));
    homeFile('.ssh/conf.d/20-common.conf', common());
    homeFile('.ssh/conf.d/ignored.txt', hostBlock(tb, 'inc-direct', 'direct', ['Port 1']).replace(/Port \d+\n/, ''));
    homeFile('.ssh/config', 'Include conf.d/*.conf\n');
    await useSettings();
    assert.equal(await servedBy('inc-direct'), String(tb.hosts.direct.port));
    const file = path.join(home, 'elsewhere', 'config');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'Include conf.d/1*.conf conf.d/2?-common.conf\n');
    homeFile('.ssh/config', '');
    await useSettings({ sshConfigPath: file });
    assert.equal(await servedBy('inc-direct'), String(tb.hosts.direct.port));
  });

  test('HostName with %h', async () => {
    homeFile('.ssh/config', ['Host 1', '  HostName 127.0.0.%h', `  Port ${tb.hosts.direct.port}`, ''].join('\n') + common());
    await useSettings();
    assert.equal(await servedBy('1'), String(tb.hosts.direct.port));
  });
});

describe('keys named by the config', () => {
  test('IdentityFile expands ~, %d, %u, %h and %r, and the key it names is the one used', async () => {
    const localUser = (await import('node:os')).userInfo().username;
    homeFile(`.ssh/ids/${localUser}-127.0.0.1-fabtest`, fs.readFileSync(tb.keyPath, 'utf8'));
    homeFile(
      '.ssh/config',
      [
        hostBlock(tb, 'tilde', 'direct', ['IdentityFile ~/.ssh/ids/%u-%h-%r']),
        hostBlock(tb, 'percent-d', 'direct', ['IdentityFile %d/.ssh/ids/%u-%h-%r']),
        'Host *',
        '  User fabtest',
        '',
      ].join('\n'),
    );
    await useSettings({ noKeys: true });
    const log = sshdLog(tb, 'direct');
    assert.equal(await servedBy('tilde'), String(tb.hosts.direct.port));
    await useSettings({ noKeys: true });
    assert.equal(await servedBy('percent-d'), String(tb.hosts.direct.port));
    assert.equal(log.count(new RegExp(`Accepted publickey for fabtest .*${literal(keyFingerprint(tb.keyPath))}`)), 2);
  });

  test('IdentitiesOnly offers only the agent keys that IdentityFile names', async () => {
    const agent = await startAgent([tb.keyPath]);
    setAuthSock(agent.socket);
    homeFile('.ssh/config', hostBlock(tb, 'direct', 'direct', ['User fabtest', `IdentityFile ${otherKey}`, 'IdentitiesOnly yes']));
    await useSettings({ noAgent: false });
    await assert.rejects(servedBy('direct'), /authentication failed/);
    homeFile('.ssh/config', hostBlock(tb, 'direct', 'direct', ['User fabtest', `IdentityFile ${otherKey}`, 'IdentitiesOnly no']));
    await useSettings({ noAgent: false });
    assert.equal(await servedBy('direct'), String(tb.hosts.direct.port));
  });

  test('IdentityAgent names the agent: a path, $VAR, SSH_AUTH_SOCK, or none', async () => {
    const agent = await startAgent([tb.keyPath]);
    const block = (value: string) => hostBlock(tb, 'direct', 'direct', ['User fabtest', `IdentityAgent ${value}`]);
    setAuthSock(undefined);
    homeFile('.ssh/config', block(agent.socket));
    await useSettings({ noAgent: false, noKeys: true });
    assert.equal(await servedBy('direct'), String(tb.hosts.direct.port));

    process.env.FABTS_TEST_AGENT = agent.socket;
    homeFile('.ssh/config', block('$FABTS_TEST_AGENT'));
    await useSettings({ noAgent: false, noKeys: true });
    assert.equal(await servedBy('direct'), String(tb.hosts.direct.port));
    delete process.env.FABTS_TEST_AGENT;

    setAuthSock(agent.socket);
    homeFile('.ssh/config', block('SSH_AUTH_SOCK'));
    await useSettings({ noAgent: false, noKeys: true });
    assert.equal(await servedBy('direct'), String(tb.hosts.direct.port));

    homeFile('.ssh/config', block('none'));
    await useSettings({ noAgent: false, noKeys: true });
    await assert.rejects(servedBy('direct'), /authentication failed/);
  });
});

describe('jump hosts and proxy commands', () => {
  test('ProxyJump: web1 through the bastion, and through the two-hop chain direct,bastion', async () => {
    homeFile('.ssh/config', testbedHosts(tb) + hostBlock(tb, 'web1-2hop', 'web1').replace('ProxyJump bastion', 'ProxyJump direct,bastion') + common());
    await useSettings();
    const direct = sshdLog(tb, 'direct');
    const { events } = await recording(() => servedBy('web1-2hop'));
    assert.equal(await servedBy('web1-2hop'), '2201');
    assert.equal(direct.count(/Accepted publickey for fabtest/), 1, 'the chain starts with one connection to direct');
    const connected = events.filter((e) => e.kind === 'connect' && e.state === 'connected').map((e) => e.kind === 'connect' && `${e.host} via ${e.via}`);
    assert.deepEqual(connected, ['direct via undefined', 'bastion via direct', 'web1-2hop via bastion']);
  });

  test('ProxyJump hops may be user@host:port strings', async () => {
    homeFile('.ssh/config', hostBlock(tb, 'w1', 'web1').replace('ProxyJump bastion', `ProxyJump fabtest@127.0.0.1:${tb.hosts.bastion.port}`) + common());
    await useSettings();
    assert.equal(await servedBy('w1'), '2201');
  });

  test('ProxyJump none undoes a later ProxyJump', async () => {
    homeFile('.ssh/config', hostBlock(tb, 'direct', 'direct', ['ProxyJump none']) + common(['ProxyJump nowhere.invalid']));
    await useSettings();
    assert.equal(await servedBy('direct'), String(tb.hosts.direct.port));
  });

  test('ProxyCommand: ssh -W through the bastion, and socat, with %h and %p', async () => {
    homeFile(
      '.ssh/config',
      [
        hostBlock(tb, 'web1-pc', 'web1').replace('ProxyJump bastion', `ProxyCommand ssh -F ${tb.sshConfigPath} -W %h:%p bastion`),
        ['Host socat-direct', '  HostName does-not-resolve.invalid', `  Port ${tb.hosts.direct.port}`, `  HostKeyAlias socat-alias`, `  ProxyCommand socat - TCP:127.0.0.1:%p`, ''].join('\n'),
      ].join('\n') + common(),
    );
    await useSettings();
    assert.equal(await servedBy('web1-pc'), '2201');
    assert.equal(await servedBy('socat-direct'), String(tb.hosts.direct.port));
  });

  test('a ProxyCommand that fails is one error saying how it ended, with its last stderr line', async () => {
    homeFile('.ssh/config', ['Host broken', '  HostName 127.0.0.1', `  ProxyCommand sh -c 'echo "no route to %h" >&2; exit 3'`, ''].join('\n') + common());
    await useSettings();
    const { error, events } = await recording(() => servedBy('broken'));
    assert.match(String(error), /cannot connect to broken \(127\.0\.0\.1:22 via ProxyCommand\): ProxyCommand exited with 3: no route to 127\.0\.0\.1$/);
    assert.ok(events.some((e) => e.kind === 'debug' && e.message === 'ProxyCommand: no route to 127.0.0.1'));
  });
});

describe('timeouts, keepalives and compression', () => {
  test('ConnectTimeout bounds the handshake with a silent host; -t wins over it', async () => {
    const port = await silentServer();
    homeFile('.ssh/config', ['Host silent', '  HostName 127.0.0.1', `  Port ${port}`, '  ConnectTimeout 1', ''].join('\n') + common());
    await useSettings();
    let started = Date.now();
    await assert.rejects(servedBy('silent'), /timed out after 1s/);
    assert.ok(Date.now() - started < 8000, 'gave up on time');
    await useSettings({ timeout: 2 });
    started = Date.now();
    await assert.rejects(servedBy('silent'), /timed out after 2s/);
    assert.ok(Date.now() - started >= 1900, 'waited for the -t value, not ConnectTimeout');
  });

  test('ServerAliveInterval and ServerAliveCountMax find a dead link', async () => {
    const link = await forwarder(tb.hosts.direct.port);
    homeFile(
      '.ssh/config',
      ['Host dying', '  HostName 127.0.0.1', `  Port ${link.port}`, `  ServerAliveInterval 1`, '  ServerAliveCountMax 2', ''].join('\n') +
        common([`UserKnownHostsFile ${path.join(home, '.ssh/known_hosts')}`]),
    );
    await useSettings();
    await servedBy('dying');
    const connection = await onHost('dying', () => connectionFor('dying'));
    assert.equal(connection.target.keepaliveInterval, 1);
    assert.equal(connection.target.keepaliveCountMax, 2);
    link.freeze();
    const deadline = Date.now() + 15000;
    while (connection.alive && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(connection.alive, false, 'the frozen connection was found dead');
    // --keepalive wins over the file.
    await useSettings({ keepalive: 7 });
    assert.equal((await resolveTarget('dying')).keepaliveInterval, 7);
  });

  test('Compression yes is negotiated (zlib@openssh.com), and not without it', async () => {
    homeFile('.ssh/config', hostBlock(tb, 'zipped', 'direct', ['Compression yes']) + hostBlock(tb, 'plain', 'direct') + common());
    await useSettings();
    const negotiated = (list: Awaited<ReturnType<typeof recording>>['events']) =>
      list.flatMap((e) => (e.kind === 'debug' && /negotiated/.test(e.message) ? [e.message] : []));
    const zipped = await recording(() => servedBy('zipped'));
    assert.match(negotiated(zipped.events).join('\n'), /compression zlib@openssh\.com/);
    await useSettings();
    const plain = await recording(() => servedBy('plain'));
    assert.match(negotiated(plain.events).join('\n'), /compression none/);
  });
});

describe('one pooled connection per user@host:port and jump chain', () => {
  test('two aliases (and the user@host:port they stand for) that resolve to the same place share one connection', async () => {
    homeFile('.ssh/config', testbedHosts(tb) + hostBlock(tb, 'direct-again', 'direct') + common());
    await useSettings();
    const direct = sshdLog(tb, 'direct');
    const hosts = ['direct', 'direct-again', `fabtest@127.0.0.1:${tb.hosts.direct.port}`];
    const connections = await Promise.all(hosts.map((host) => onHost(host, async () => (await run('true', { hide: true }), connectionFor(host)))));
    assert.equal(new Set(connections).size, 1);
    assert.equal(direct.count(/Accepted publickey for fabtest/), 1);
  });

  test('the same host through two different jump chains gets two connections', async () => {
    homeFile('.ssh/config', testbedHosts(tb) + hostBlock(tb, 'web1-2hop', 'web1').replace('ProxyJump bastion', 'ProxyJump direct,bastion') + common());
    await useSettings();
    const web1 = sshdLog(tb, 'web1');
    const bastion = sshdLog(tb, 'bastion');
    assert.equal(await servedBy('web1'), '2201');
    assert.equal(await servedBy('web1-2hop'), '2201');
    assert.equal(web1.count(/Accepted publickey for fabtest/), 2);
    assert.equal(bastion.count(/Accepted publickey for fabtest/), 2, 'one bastion connection from here, one through direct');
    const [a, b] = await Promise.all(['web1', 'web1-2hop'].map((host) => onHost(host, () => connectionFor(host))));
    assert.notEqual(a, b);
    assert.equal(a!.target.jump!.key, `fabtest@127.0.0.1:${tb.hosts.bastion.port}`);
    assert.equal(b!.target.jump!.key, `fabtest@127.0.0.1:${tb.hosts.bastion.port} via fabtest@127.0.0.1:${tb.hosts.direct.port}`);
  });
});

describe('flags and env win over the file', () => {
  /** `wrong`: direct, as the file has it, with the wrong user, port, key, timeout and host key checking. */
  const writeWrongHost = () =>
    homeFile(
      '.ssh/config',
      hostBlock(tb, 'wrong', 'direct', [
        'User nobody',
        `IdentityFile ${otherKey}`,
        'IdentitiesOnly yes',
        'ConnectTimeout 1',
        'StrictHostKeyChecking no',
        'ForwardAgent no',
      ]).replace(/Port \d+/, 'Port 1'),
    );

  test('-u / env.user, --port / env.port and -i win; a host string user wins over env.user', async () => {
    writeWrongHost();
    await useSettings({ user: 'fabtest', port: tb.hosts.direct.port, keyFilename: [tb.keyPath] });
    const log = sshdLog(tb, 'direct');
    assert.equal(await servedBy('wrong'), String(tb.hosts.direct.port));
    assert.equal(log.count(new RegExp(`Accepted publickey for fabtest .*${literal(keyFingerprint(tb.keyPath))}`)), 1);
    await useSettings({ user: 'nobody', port: tb.hosts.direct.port, keyFilename: [tb.keyPath] });
    assert.equal(await servedBy('fabtest@wrong'), String(tb.hosts.direct.port));
  });

  test('without the flags the file applies (and fails here)', async () => {
    writeWrongHost();
    await useSettings({ keyFilename: [tb.keyPath] });
    await assert.rejects(servedBy('wrong'), /127\.0\.0\.1:1\b/);
    await useSettings({ port: tb.hosts.direct.port });
    await assert.rejects(servedBy('wrong'), /nobody@wrong: authentication failed/);
  });

  test('-u and --port are for the targets: a jump host keeps the user and port its own entry gives', async () => {
    homeFile('.ssh/config', testbedHosts(tb) + common());
    await useSettings({ user: 'nobody' });
    const bastion = sshdLog(tb, 'bastion');
    await assert.rejects(servedBy('web1'), /nobody@web1: authentication failed/);
    assert.equal(bastion.count(/Accepted publickey for fabtest/), 1);
    await useSettings({ port: tb.hosts.direct.port });
    await assert.rejects(servedBy('web1'), new RegExp(`cannot connect to web1 \\(127\\.0\\.0\\.1:${tb.hosts.direct.port} via bastion\\)`));
  });

  test('-A wins over ForwardAgent no, and forwardAgent: false set in env wins over ForwardAgent yes', async () => {
    const agent = await startAgent([tb.keyPath]);
    setAuthSock(agent.socket);
    writeWrongHost();
    await useSettings({ user: 'fabtest', port: tb.hosts.direct.port, keyFilename: [tb.keyPath], forwardAgent: true });
    assert.equal((await onHost('wrong', () => run('ssh-add -l', { hide: true, warnOnly: true }))).code, 0);
    homeFile('.ssh/config', hostBlock(tb, 'fwd', 'direct', ['ForwardAgent yes']) + common());
    await useSettings({ forwardAgent: false });
    assert.equal((await onHost('fwd', () => run('ssh-add -l', { hide: true, warnOnly: true }))).code, 2);
    await useSettings();
    assert.equal((await onHost('fwd', () => run('ssh-add -l', { hide: true, warnOnly: true }))).code, 0);
  });

  test('ConnectionAttempts retries a refused connection; -n wins over it', async () => {
    homeFile('.ssh/config', hostBlock(tb, 'refused', 'direct', ['ConnectionAttempts 2']).replace(/Port \d+/, 'Port 1') + common());
    const retries = (list: Awaited<ReturnType<typeof recording>>['events']) => list.filter((e) => e.kind === 'debug' && /retrying/.test(e.message)).length;
    await useSettings();
    const fromFile = await recording(() => servedBy('refused'));
    assert.match(String(fromFile.error), /connection refused/);
    assert.equal(retries(fromFile.events), 1);
    await useSettings({ connectionAttempts: 1 });
    assert.equal(retries((await recording(() => servedBy('refused'))).events), 0);
  });

  test('-t wins over ConnectTimeout', async () => {
    const port = await silentServer();
    homeFile('.ssh/config', hostBlock(tb, 'silent', 'direct', ['ConnectTimeout 1']).replace(/Port \d+/, `Port ${port}`) + common());
    await useSettings({ timeout: 2 });
    await assert.rejects(servedBy('silent'), /timed out after 2s/);
  });
});
