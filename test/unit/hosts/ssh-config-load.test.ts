// What fabts does on its own terms: loading, errors at resolve time, and the places where it knowingly differs
// from ssh(1). The agreement with OpenSSH itself is in ssh-config.test.ts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { join } from 'node:path';
import { emptySshConfig, loadSshConfig, resolveSshHost, type ResolveSshHostOptions } from '../../../src/hosts/ssh-config.ts';
import { isFabError } from '../../../src/errors.ts';
import { cleanUp, makeHome, skipWithoutSsh } from './openssh-oracle.ts';

after(cleanUp);

const fixed: ResolveSshHostOptions = { localUser: 'me', home: '/home/me', localHostname: 'laptop.lan', env: { HOME: '/home/me', KEYS: '/keys' } };

async function resolve(files: string | Record<string, string>, host: string, options: ResolveSshHostOptions = {}) {
  const { home, config } = makeHome(files);
  return resolveSshHost(await loadSshConfig(config, { home }), host, { ...fixed, ...options });
}

function isBadConfig(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(isFabError(error), String(error));
    assert.equal(error.code, 'BAD_CONFIG');
    assert.equal(error.exitCode, 2);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  };
}

describe('loading', () => {
  test('a missing config is an empty one', async () => {
    const config = await loadSshConfig('/nonexistent/fabts/ssh_config');
    assert.deepEqual(config, { path: '/nonexistent/fabts/ssh_config', files: [], entries: [] });
  });

  test('an empty config gives the defaults', () => {
    assert.deepEqual(resolveSshHost(emptySshConfig(), 'web1', fixed), {
      host: 'web1',
      hostname: 'web1',
      port: 22,
      user: 'me',
      identityFiles: [],
      useDefaultIdentityFiles: true,
      identitiesOnly: false,
      userKnownHostsFiles: ['/home/me/.ssh/known_hosts', '/home/me/.ssh/known_hosts2'],
      globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
    });
  });

  test('records every file read, in reading order', async () => {
    const { home, config } = makeHome({
      '.ssh/config': 'Include b.conf a.conf missing.conf\n',
      '.ssh/a.conf': 'Include c.conf\n',
      '.ssh/b.conf': '',
      '.ssh/c.conf': '',
    });
    const loaded = await loadSshConfig(config, { home });
    assert.deepEqual(loaded.files, [config, join(home, '.ssh/b.conf'), join(home, '.ssh/a.conf'), join(home, '.ssh/c.conf')]);
  });

  test('~ in the config path is the home', async () => {
    const { home, config } = makeHome('Host web1\n  User tilde\n');
    const loaded = await loadSshConfig('~/.ssh/config', { home });
    assert.equal(loaded.path, config);
    assert.equal(resolveSshHost(loaded, 'web1', fixed).user, 'tilde');
  });

  test('a config that cannot be read is an error', async () => {
    const { home } = makeHome('');
    await assert.rejects(loadSshConfig(join(home, '.ssh'), { home }), isBadConfig(/cannot read .*EISDIR/));
  });

  test('Windows line endings are fine and lines are still counted right', async () => {
    const { home, config } = makeHome('Host web1\r\n  User crlf\r\n\r\nHost *\r\n  Port nope\r\n');
    await assert.rejects(loadSshConfig(config, { home }), isBadConfig(/line 5: Port/));
  });

  test('lines are counted right after trailing comments and blank lines', async () => {
    const { home, config } = makeHome('# top\n\nHost a # c\n  User x # c\n\n\t\n  Port bad\n');
    await assert.rejects(loadSshConfig(config, { home }), isBadConfig(/config line 7: Port: .*"bad"/));
  });

  test('an Include loop is an error', async () => {
    const { home, config } = makeHome({ '.ssh/config': 'Include loop.conf\n', '.ssh/loop.conf': '\nInclude loop.conf\n' });
    await assert.rejects(loadSshConfig(config, { home }), isBadConfig(/loop\.conf line 2: Include nested more than 16/));
  });

  test('ssh refuses an Include loop too', { skip: skipWithoutSsh }, () => {
    const { home, config } = makeHome({ '.ssh/config': 'Include loop.conf\n', '.ssh/loop.conf': 'Include loop.conf\n' });
    const ssh = spawnSync('ssh', ['-G', '-F', config, 'a'], { env: { ...process.env, HOME: home }, encoding: 'utf8' });
    assert.equal(ssh.status, 255);
    assert.match(ssh.stderr, /Too many recursive configuration includes/);
  });

  test('a system config refuses ~ in Include', async () => {
    const { home, config } = makeHome('Include ~/x.conf\n');
    await assert.rejects(loadSshConfig(config, { home, system: true }), isBadConfig(/system config cannot Include/));
  });

  test('a system config includes relative paths from /etc/ssh', { skip: !existsSync('/etc/ssh/ssh_config') && 'no /etc/ssh/ssh_config' }, async () => {
    const { home, config } = makeHome('Include ssh_config\n');
    assert.deepEqual((await loadSshConfig(config, { home, system: true })).files, [config, '/etc/ssh/ssh_config']);
    assert.deepEqual((await loadSshConfig(config, { home })).files, [config]);
  });
});

describe('resolving', () => {
  test('expands every IdentityFile token from the options', async () => {
    const c = await resolve('Host web1\n  HostName Web1.Example\n  User bob\n  Port 2022\n  IdentityFile ~/k/%d|%u|%h|%r|%p|%l|%L|%n|%k|%%\n  IdentityFile ${KEYS}/%h\n', 'web1');
    assert.deepEqual(c.identityFiles, ['/home/me/k//home/me|me|web1.example|bob|2022|laptop.lan|laptop|web1|web1|%', '/keys/web1.example']);
    assert.equal(c.useDefaultIdentityFiles, false);
  });

  test('%r is the user from the command line when one is given', async () => {
    const c = await resolve('Host web1\n  User file\n  IdentityFile /k/%r\n', 'web1', { user: 'cli' });
    assert.deepEqual([c.user, c.identityFiles], ['cli', ['/k/cli']]);
  });

  test('%j is the last jump host (newer OpenSSH)', async () => {
    const c = await resolve('Host web1\n  ProxyJump a,ops@[2001:db8::1]:2200\n  IdentityFile /k/%j\n', 'web1');
    assert.deepEqual(c.identityFiles, ['/k/2001:db8::1']);
    assert.deepEqual((await resolve('ProxyJump fe80::1\nIdentityFile /k/%j\n', 'web1')).identityFiles, ['/k/fe80::1']);
    assert.deepEqual((await resolve('IdentityFile /k/%j\n', 'web1')).identityFiles, ['/k/']);
  });

  test('ProxyJump hops come back in host-string form', async () => {
    const c = await resolve('ProxyJump bastion , ssh://ops@jump:2200/ ,[::1]:22\n', 'web1');
    assert.deepEqual(c.proxyJump, ['bastion', 'ops@jump:2200', '[::1]:22']);
  });

  test('StrictHostKeyChecking true/false/off read as yes/no', async () => {
    for (const [given, read] of [['true', 'yes'], ['false', 'no'], ['off', 'no'], ['ACCEPT-NEW', 'accept-new']]) {
      assert.equal((await resolve(`StrictHostKeyChecking ${given}\n`, 'web1')).strictHostKeyChecking, read);
    }
  });

  test('ServerAliveCountMax is 3 only when an interval is set', async () => {
    assert.equal((await resolve('', 'web1')).serverAliveCountMax, undefined);
    assert.equal((await resolve('ServerAliveInterval 10\n', 'web1')).serverAliveCountMax, 3);
    assert.equal((await resolve('ServerAliveCountMax 7\n', 'web1')).serverAliveCountMax, 7);
  });

  test('ForwardAgent with a socket turns forwarding on', async () => {
    const c = await resolve('ForwardAgent ~/agent.%h\n', 'web1');
    assert.deepEqual([c.forwardAgent, c.forwardAgentSocket], [true, '/home/me/agent.web1']);
  });

  test('an unknown %token is an error naming the file and line', async () => {
    await assert.rejects(resolve('\nHost web1\n  IdentityFile ~/.ssh/%z\n', 'web1'), isBadConfig(/config line 3: IdentityFile: .*%z/));
  });

  test('an unknown %token in a block that does not apply is no error', async () => {
    assert.equal((await resolve('Host other\n  IdentityFile ~/.ssh/%z\n', 'web1')).hostname, 'web1');
  });

  test('HostName takes only %h', async () => {
    await assert.rejects(resolve('Host web1\n  HostName %p.example\n', 'web1'), isBadConfig(/line 2: HostName: .*%p/));
  });

  test('an unset ${VAR} is an error', async () => {
    await assert.rejects(resolve('UserKnownHostsFile ${NOT_SET_ANYWHERE}/kh\n', 'web1'), isBadConfig(/line 1: UserKnownHostsFile: .*NOT_SET_ANYWHERE/));
  });

  test('ProxyCommand takes only %h %n %p %r', async () => {
    await assert.rejects(resolve('ProxyCommand nc %d %p\n', 'web1'), isBadConfig(/line 1: ProxyCommand: .*%d/));
  });
});

describe('where fabts knowingly differs from ssh', () => {
  test('Match exec never applies: fabts runs no commands while resolving hosts', async () => {
    assert.equal((await resolve('Match exec true\n  Port 2200\n', 'web1')).port, 22);
    assert.equal((await resolve('Match !exec false\n  Port 2200\n', 'web1')).port, 22);
  });

  test('Match localnetwork and tagged (newer OpenSSH) never apply', async () => {
    assert.equal((await resolve('Match localnetwork 10.0.0.0/8\n  Port 2200\nMatch tagged x\n  Port 2201\n', 'web1')).port, 22);
  });

  test('unknown keywords are ignored (ssh refuses them unless IgnoreUnknown)', async () => {
    assert.equal((await resolve('SomeFutureOption yes\nHost web1\n  User known\n', 'web1')).user, 'known');
  });
});
