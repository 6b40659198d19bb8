import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { userInfo } from 'node:os';
import { rejectedLikeOpenSsh, sameAsOpenSsh, skipWithoutSsh, cleanUp } from './openssh-oracle.ts';

after(cleanUp);
const skip = skipWithoutSsh;
const me = userInfo();

describe('ssh_config resolution agrees with ssh -G', { skip }, () => {
  describe('host patterns', () => {
    test('no config at all gives the defaults', () => sameAsOpenSsh('', 'web1'));
    test('an exact Host line applies', () => sameAsOpenSsh('Host web1\n  User deploy\n  Port 2201\n', 'web1'));
    test('an exact Host line does not apply to another host', () => sameAsOpenSsh('Host web1\n  User deploy\n', 'web2'));
    test('* matches any run of characters', () => sameAsOpenSsh('Host *.example.com\n  User star\n', 'db.eu.example.com'));
    test('? matches exactly one character', () => sameAsOpenSsh('Host web?\n  User q\n', 'web7'));
    test('? does not match two characters', () => sameAsOpenSsh('Host web?\n  User q\n', 'web17'));
    test('any of several patterns on one line applies', () => sameAsOpenSsh('Host db* web*\n  User many\n', 'web3'));
    test('a comma is literal in a Host pattern', () => sameAsOpenSsh('Host a,b\n  User commas\n', 'a'));
    test('a negated match rejects the whole Host line', () => sameAsOpenSsh('Host * !bastion\n  User star\n', 'bastion'));
    test('a negated pattern leaves other hosts matching', () => sameAsOpenSsh('Host * !bastion\n  User star\n', 'web1'));
    test('a line of only negated patterns matches nothing', () => sameAsOpenSsh('Host !bastion\n  User neg\n', 'web1'));
    test('Host patterns are case-sensitive against what was typed', () => sameAsOpenSsh('Host web1\n  User lower\n', 'WEB1'));
    test('the host name is lowercased afterwards', () => sameAsOpenSsh('Host WEB1\n  HostName Web1.Example.COM\n', 'WEB1'));
    test('a quoted pattern works', () => sameAsOpenSsh('Host "web1"\n  User quoted\n', 'web1'));
  });

  describe('first value wins', () => {
    const specificFirst = 'Host web1\n  User specific\n  Port 2200\n\nHost *\n  User general\n  Port 22\n  Compression yes\n';
    test('a specific block before Host * wins', () => sameAsOpenSsh(specificFirst, 'web1'));
    test('Host * fills in what the specific block left unset', () => sameAsOpenSsh(specificFirst, 'other'));
    test('a general block before a specific one wins', () => sameAsOpenSsh('Host *\n  User general\nHost web1\n  User specific\n', 'web1'));
    test('options before any Host line apply to every host', () => sameAsOpenSsh('User global\nHost web1\n  User specific\n', 'web1'));
    test('the same option twice in one block keeps the first', () => sameAsOpenSsh('Host web1\n  Port 2201\n  Port 2202\n', 'web1'));
    test('keywords ignore case and accept = with or without spaces', () =>
      sameAsOpenSsh('HOST web1\n  hOsTnAmE=real.example\n  USER = bob\n  port\t2222 # trailing comment\n', 'web1'));
    test('Windows line endings', () => sameAsOpenSsh('Host web1\r\n  User crlf\r\n  Port 2200\r\n', 'web1'));
    test('-l and -p from the command line win over the file', () =>
      sameAsOpenSsh('Host web1\n  User file\n  Port 2200\n  IdentityFile ~/.ssh/%r_%p\n', 'web1', { user: 'cli', port: 2299 }));
  });

  describe('HostName', () => {
    test('%h is the name as typed', () => sameAsOpenSsh('Host *.lan\n  HostName %h.example.com\n', 'web1.lan'));
    test('%% is a literal percent', () => sameAsOpenSsh('Host web1\n  HostName web%%1\n', 'web1'));
    test('an IPv6 literal keeps its case when it is already canonical', () => sameAsOpenSsh('Host v6\n  HostName FE80::A\n', 'v6'));
    test('an IPv6 literal is rewritten in canonical form', () => sameAsOpenSsh('Host v6\n  HostName 2001:DB8:0:0:1:0:0:1\n', 'v6'));
    test('a typed IPv6 address is a host like any other', () => sameAsOpenSsh('Host ::1\n  User local6\n', '0:0::1'));
  });

  describe('Match', () => {
    test('Match host sees the HostName obtained so far', () =>
      sameAsOpenSsh('Host web1\n  HostName web1.internal\nMatch host *.internal\n  User internal\n', 'web1'));
    test('Match host does not see the alias once HostName is set', () =>
      sameAsOpenSsh('Host web1\n  HostName web1.internal\nMatch host web1\n  User alias\n', 'web1'));
    test('Match host takes a comma list with negation', () =>
      sameAsOpenSsh('Match host *.example.com,!db.example.com\n  User listed\n', 'db.example.com'));
    test('Match host ignores case', () => sameAsOpenSsh('Match host WEB1\n  User upper\n', 'web1'));
    test('Match originalhost sees what was typed', () =>
      sameAsOpenSsh('Host web1\n  HostName web1.internal\nMatch originalhost web1\n  User original\n', 'web1'));
    test('Match user sees -l from the command line', () => sameAsOpenSsh('Match user admin\n  Port 2222\n', 'web1', { user: 'admin' }));
    test('Match user sees a User set earlier in the file', () => sameAsOpenSsh('Host web1\n  User admin\nMatch user admin\n  Port 2222\n', 'web1'));
    test('Match user defaults to the local user', () => sameAsOpenSsh(`Match user ${me.username}\n  Port 2222\n`, 'web1'));
    test('Match localuser sees the local login', () => sameAsOpenSsh(`Match localuser ${me.username}\n  Port 2223\n`, 'web1'));
    test('Match all applies to everything', () => sameAsOpenSsh('Host web1\n  Port 2200\nMatch all\n  User everyone\n', 'web1'));
    test('a negated criterion inverts it', () => sameAsOpenSsh('Match !host web1\n  User notweb1\n', 'web2'));
    test('every criterion must hold', () => sameAsOpenSsh('Match host web1 user nobody-here\n  Port 2224\n', 'web1'));
    test('Match exec with a failing command does not apply', () => sameAsOpenSsh('Match exec false\n  Port 2225\n', 'web1'));
    test('Match final reads the config again with the final host name', () =>
      sameAsOpenSsh(
        'Host web\n  HostName web.internal\n  IdentityFile ~/.ssh/first\nMatch final host *.internal\n  User finaluser\n' +
          'Host *.internal\n  Port 2222\n  IdentityFile ~/.ssh/first\n  IdentityFile ~/.ssh/second\nMatch canonical\n  ConnectTimeout 9\n',
        'web',
      ));
    test('Match !final applies in the first reading', () => sameAsOpenSsh('Match !final\n  ConnectTimeout 4\nMatch final\n  Port 33\n', 'web'));
    test('CanonicalizeHostname yes also reads the config again', () =>
      sameAsOpenSsh('CanonicalizeHostname yes\nHost web\n  HostName web.internal\nHost *.internal\n  Port 2222\nMatch canonical\n  User canon\n', 'web'));
  });

  describe('Include', () => {
    test('a relative glob is relative to ~/.ssh and read in sorted order', () =>
      sameAsOpenSsh(
        {
          '.ssh/config': 'Include conf.d/*.conf\nHost *\n  User fallback\n',
          '.ssh/conf.d/20-b.conf': 'Host web1\n  User second\n  Port 2002\n',
          '.ssh/conf.d/10-a.conf': 'Host web1\n  User first\n',
          '.ssh/conf.d/ignored.txt': 'Host web1\n  Port 9999\n',
        },
        'web1',
      ));
    test('~ in an Include path is the home', () =>
      sameAsOpenSsh({ '.ssh/config': 'Include ~/extra/ssh.conf\n', 'extra/ssh.conf': 'Host web1\n  User tilde\n' }, 'web1'));
    test('a directory matched by an Include glob reads as empty', () =>
      sameAsOpenSsh({ '.ssh/config': 'Include conf.d/*\nHost web1\n  User after\n', '.ssh/conf.d/sub/x.conf': 'User hidden\n' }, 'web1'));
    test('a missing include is skipped', () => sameAsOpenSsh('Include missing.conf nothing/*.conf\nHost web1\n  User after\n', 'web1'));
    test('an Include inside a Host block applies when the block matches', () =>
      sameAsOpenSsh({ '.ssh/config': 'Host web1\n  Include web.conf\n', '.ssh/web.conf': 'User included\nPort 2200\n' }, 'web1'));
    test('an Include inside a Host block does not apply to other hosts', () =>
      sameAsOpenSsh({ '.ssh/config': 'Host web1\n  Include web.conf\n', '.ssh/web.conf': 'User included\nPort 2200\n' }, 'web2'));
    test('Host lines in an included file do not leak into the including file', () =>
      sameAsOpenSsh(
        { '.ssh/config': 'Host web1\n  Include inc.conf\n  Port 2201\n', '.ssh/inc.conf': 'Host nothing-matches\n  User hidden\n' },
        'web1',
      ));
    test('an absolute Include path is kept', () =>
      sameAsOpenSsh({ '.ssh/config': 'Include {{home}}/abs/*.conf\n', 'abs/x.conf': 'Host web1\n  User absolute\n' }, 'web1'));
    test('an Include inside a Match block applies when the Match does', () =>
      sameAsOpenSsh({ '.ssh/config': 'Match originalhost web*\n  Include web.conf\n', '.ssh/web.conf': 'Port 2299\n' }, 'web1'));
    test('includes nest', () =>
      sameAsOpenSsh({ '.ssh/config': 'Include a.conf\n', '.ssh/a.conf': 'Include b.conf\n', '.ssh/b.conf': 'Host *\n  User deep\n' }, 'web1'));
  });

  describe('IdentityFile', () => {
    test('expands ~ and the %d %u %h %r %p %l %L %n %k %i %C %% tokens', () =>
      sameAsOpenSsh(
        'Host web1\n  HostName Web1.Example\n  User bob\n  Port 2022\n  IdentityFile ~/.ssh/%d_%u_%h_%r_%p_%l_%L_%n_%k_%i_%%\n  IdentityFile /keys/%C\n',
        'web1',
      ));
    test('expands ${ENV} from the environment', () => sameAsOpenSsh('IdentityFile ${HOME}/key\n', 'web1'));
    test('accumulates in order over all blocks and drops repeats', () =>
      sameAsOpenSsh('Host web1\n  IdentityFile ~/.ssh/web\n  IdentityFile ~/.ssh/shared\nHost *\n  IdentityFile ~/.ssh/shared\n  IdentityFile /etc/keys/all\n', 'web1'));
    test('a quoted path may hold spaces', () => sameAsOpenSsh('IdentityFile "~/.ssh/my key"\n', 'web1'));
    test('IdentityFile none turns the default keys off', () => sameAsOpenSsh('Host web1\n  IdentityFile none\n', 'web1'));
    test('IdentitiesOnly and IdentityAgent with ~ and %h', () =>
      sameAsOpenSsh('Host web1\n  IdentitiesOnly yes\n  IdentityAgent ~/agents/%h.sock\n', 'web1'));
    test('IdentityAgent SSH_AUTH_SOCK stays literal', () => sameAsOpenSsh('IdentityAgent SSH_AUTH_SOCK\n', 'web1'));
    test('IdentityAgent none', () => sameAsOpenSsh('IdentityAgent none\n', 'web1'));
  });

  describe('proxies', () => {
    test('ProxyJump lists hops in order', () => sameAsOpenSsh('Host web1\n  ProxyJump bastion,ops@jump2:2222\n', 'web1'));
    test('ProxyJump with IPv6 and ssh:// hops', () => sameAsOpenSsh('Host web1\n  ProxyJump [::1]:2200,ssh://ops@jump:2201\n', 'web1'));
    test('ProxyJump none stops a later ProxyJump', () => sameAsOpenSsh('Host web1\n  ProxyJump none\nHost *\n  ProxyJump bastion\n', 'web1'));
    test('a later ProxyJump applies to other hosts', () => sameAsOpenSsh('Host web1\n  ProxyJump none\nHost *\n  ProxyJump bastion\n', 'web2'));
    test('ProxyCommand first blocks a later ProxyJump', () => sameAsOpenSsh('Host web1\n  ProxyCommand exec true %h\n  ProxyJump bastion\n', 'web1'));
    test('ProxyJump first blocks a later ProxyCommand', () => sameAsOpenSsh('Host web1\n  ProxyJump bastion\n  ProxyCommand exec true %h\n', 'web1'));
    test('ProxyCommand expands %h %p %r %n %% and keeps quotes', () =>
      sameAsOpenSsh('Host web1\n  HostName 10.0.0.5\n  ProxyCommand exec true -W "%h:%p" %r %n 100%%\n', 'web1', { user: 'ops' }));
    test('ProxyCommand none', () => sameAsOpenSsh('Host web1\n  ProxyCommand none\nHost *\n  ProxyJump bastion\n', 'web1'));
  });

  describe('connection options', () => {
    test('ConnectTimeout in seconds and in time units', () => sameAsOpenSsh('Host web1\n  ConnectTimeout 1m30s\nHost *\n  ConnectTimeout 5\n', 'web1'));
    test('ServerAliveInterval alone implies a count of 3', () => sameAsOpenSsh('ServerAliveInterval 15\n', 'web1'));
    test('ServerAliveCountMax set explicitly', () => sameAsOpenSsh('ServerAliveInterval 1m\nServerAliveCountMax 5\n', 'web1'));
    for (const value of ['yes', 'no', 'accept-new', 'ask', 'off', 'true', 'false']) {
      test(`StrictHostKeyChecking ${value}`, () => sameAsOpenSsh(`StrictHostKeyChecking ${value}\n`, 'web1'));
    }
    test('UserKnownHostsFile takes several files, expanded', () =>
      sameAsOpenSsh('Host web1\n  UserKnownHostsFile ~/.ssh/kh_%h %d/other "/etc/ssh/with space"\n', 'web1'));
    test('UserKnownHostsFile none', () => sameAsOpenSsh('UserKnownHostsFile none\n', 'web1'));
    test('ForwardAgent yes', () => sameAsOpenSsh('Host web1\n  ForwardAgent yes\n', 'web1'));
    test('ForwardAgent no', () => sameAsOpenSsh('Host web1\n  ForwardAgent no\nHost *\n  ForwardAgent yes\n', 'web1'));
    test('ForwardAgent with a socket path', () => sameAsOpenSsh('ForwardAgent ~/agent.%h\n', 'web1'));
    test('ForwardAgent with a variable', () => sameAsOpenSsh('ForwardAgent $SSH_AUTH_SOCK\n', 'web1'));
    test('Compression', () => sameAsOpenSsh('Host web1\n  Compression yes\n', 'web1'));
    test('HostKeyAlias and ConnectionAttempts', () => sameAsOpenSsh('Host web1\n  HostKeyAlias web-cluster\n  ConnectionAttempts 3\n', 'web1'));
  });

  describe('a realistic config', () => {
    const realistic = {
      '.ssh/config': [
        'Include config.d/*',
        '',
        'Host bastion',
        '  HostName bastion.example.com',
        '  User ops',
        '',
        'Host web? db?',
        '  HostName %h.internal.example.com',
        '  ProxyJump bastion',
        '',
        'Match host *.internal.example.com user deploy',
        '  IdentityFile ~/.ssh/deploy_%h',
        '',
        'Host * !bastion',
        '  ServerAliveInterval 30',
        '',
        'Host *',
        '  User deploy',
        '  IdentityFile ~/.ssh/id_ed25519',
        '  StrictHostKeyChecking accept-new',
        '  UserKnownHostsFile ~/.ssh/known_hosts ~/.ssh/known_hosts.d/%k',
        '',
      ].join('\n'),
      '.ssh/config.d/legacy': 'Host legacy\n  HostName 192.0.2.10\n  Port 2222\n  User root\n  Compression yes\n',
    };
    for (const host of ['bastion', 'web1', 'db2', 'legacy', 'elsewhere.example.org']) {
      test(`resolves ${host}`, () => sameAsOpenSsh(realistic, host));
    }
    test('resolves web1 as another user from the command line', () => sameAsOpenSsh(realistic, 'web1', { user: 'alice' }));
  });
});

describe('configs that OpenSSH rejects are rejected on the same line', { skip }, () => {
  test('an unterminated quote', () => rejectedLikeOpenSsh('Host a\n  User "bob\n', 2));
  test('a port that is not a number', () => rejectedLikeOpenSsh('Host a\n  Port abc\n', 2, /Port/));
  test('port 0, also in a block that does not apply', () => rejectedLikeOpenSsh('Host elsewhere\n\n  Port 0\n', 3));
  test('a port above 65535', () => rejectedLikeOpenSsh('Port 70000\n', 1));
  test('a yes/no option with another word', () => rejectedLikeOpenSsh('Host a\n  Compression maybe\n', 2, /maybe/));
  test('a bad StrictHostKeyChecking', () => rejectedLikeOpenSsh('StrictHostKeyChecking perhaps\n', 1));
  test('a bad time', () => rejectedLikeOpenSsh('Host a\n  ConnectTimeout 5x\n', 2));
  test('a keyword without a value', () => rejectedLikeOpenSsh('Host a\n  HostName\n', 2));
  test('Match host without a pattern', () => rejectedLikeOpenSsh('# comment\nMatch host\n', 2));
  test('an unknown Match criterion', () => rejectedLikeOpenSsh('Match foo bar\n', 1, /foo/));
  test('Match all combined with another criterion', () => rejectedLikeOpenSsh('Match all host a\n', 1));
  test('a bad ProxyJump hop', () => rejectedLikeOpenSsh('Host a\n  ProxyJump a,:22\n', 2, /ProxyJump/));
  test('a bad line in an included file names that file', () =>
    rejectedLikeOpenSsh({ '.ssh/config': 'Include inc.conf\n', '.ssh/inc.conf': '\nPort nope\n' }, 2, /inc\.conf line 2/));
});
