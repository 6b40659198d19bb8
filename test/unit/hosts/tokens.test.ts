import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dollarExpand, homeOfUser, nameOfUser, parseTime, percentExpand, shellUnsafe, tildeExpand, TokenError } from '../../../src/hosts/tokens.ts';
import { hostLineMatches, matchHostname, matchPattern, matchPatternList } from '../../../src/hosts/patterns.ts';

describe('percentExpand', () => {
  const tokens = { h: 'web1', p: '22', r: 'deploy' };
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['%h', 'web1'],
    ['%r@%h:%p', 'deploy@web1:22'],
    ['100%%', '100%'],
    ['%%h', '%h'],
    ['%%%h', '%web1'],
    ['', ''],
  ];
  for (const [text, expected] of cases) test(`expands ${JSON.stringify(text)}`, () => assert.equal(percentExpand(text, tokens), expected));
  test('refuses an unknown token, naming the known ones', () =>
    assert.throws(() => percentExpand('%x', tokens), (e: unknown) => e instanceof TokenError && /%x/.test(e.message) && /%h %p %r/.test(e.message)));
  test('refuses a lone % at the end', () => assert.throws(() => percentExpand('abc%', tokens), TokenError));
  test('does not expand tokens inside token values', () => assert.equal(percentExpand('%h', { h: '%p', p: 'no' }), '%p'));
});

describe('dollarExpand', () => {
  const env = { HOME: '/home/u', EMPTY: '', SOCK: '/run/agent' };
  test('expands ${NAME}', () => assert.equal(dollarExpand('${HOME}/.ssh/${SOCK}', env), '/home/u/.ssh//run/agent'));
  test('an empty variable is fine', () => assert.equal(dollarExpand('a${EMPTY}b', env), 'ab'));
  test('a $ without braces stays', () => assert.equal(dollarExpand('$HOME and $', env), '$HOME and $'));
  test('an unset variable is an error', () => assert.throws(() => dollarExpand('${NOPE}', env), /NOPE.*not set/));
  test('an unclosed brace is an error', () => assert.throws(() => dollarExpand('${HOME', env), TokenError));
  test('a bad name is an error', () => assert.throws(() => dollarExpand('${1X}', env), TokenError));
});

describe('tildeExpand', () => {
  test('~ alone is the home', () => assert.equal(tildeExpand('~', '/home/u'), '/home/u/'));
  test('~/path is under the home', () => assert.equal(tildeExpand('~/.ssh/id', '/home/u'), '/home/u/.ssh/id'));
  test('a home ending in / gets no double slash', () => assert.equal(tildeExpand('~/x', '/'), '/x'));
  test('other paths are untouched', () => assert.equal(tildeExpand('/etc/~x', '/home/u'), '/etc/~x'));
  test('~user is that user\'s home from the password database', () => assert.equal(tildeExpand('~root/x', '/home/u'), `${homeOfUser('root')}/x`));
  test('~unknown-user is an error', () => assert.throws(() => tildeExpand('~no-such-user-here/x', '/home/u'), /unknown local user/));
  test('a uid\'s name from the password database, none for a uid without an entry', () => {
    assert.equal(nameOfUser(0), 'root');
    assert.equal(nameOfUser(4_000_000_123), undefined);
  });
});

describe('parseTime', () => {
  const cases: [string, number | undefined][] = [
    ['0', 0],
    ['30', 30],
    ['30s', 30],
    ['5m', 300],
    ['1h30m', 5400],
    ['1H', 3600],
    ['2d', 172800],
    ['1w', 604800],
    ['1m1m', 120],
    ['', undefined],
    ['5x', undefined],
    ['-5', undefined],
    ['m', undefined],
    ['1.5', undefined],
    [' 5', undefined],
  ];
  for (const [text, expected] of cases) test(`reads ${JSON.stringify(text)}`, () => assert.equal(parseTime(text), expected));
});

describe('patterns', () => {
  const single: [string, string, boolean][] = [
    ['web1', 'web1', true],
    ['web1', 'web?', true],
    ['web10', 'web?', false],
    ['web1.example.com', '*.example.com', true],
    ['example.com', '*.example.com', false],
    ['anything', '*', true],
    ['', '*', true],
    ['a.b', 'a?b', true],
    ['axb', 'a.b', false],
    ['WEB1', 'web1', false],
    ['(x)', '(x)', true],
  ];
  for (const [text, pattern, expected] of single) {
    test(`${pattern} ${expected ? 'matches' : 'does not match'} ${text}`, () => assert.equal(matchPattern(text, pattern), expected));
  }
  test('a pattern list returns -1 for a negated match', () => assert.equal(matchPatternList('db1', 'db*,!db1', false), -1));
  test('a pattern list of only negations never matches', () => assert.equal(matchPatternList('web1', '!db1', false), 0));
  test('a pattern list matches any item', () => assert.equal(matchPatternList('b', 'a,b,c', false), 1));
  test('matchHostname ignores case on both sides', () => assert.equal(matchHostname('Web1.Example', 'WEB1.*'), true));
  test('a Host line needs a positive and no negative match', () => {
    assert.equal(hostLineMatches(['*', '!bastion'], 'web1'), true);
    assert.equal(hostLineMatches(['*', '!bastion'], 'bastion'), false);
    assert.equal(hostLineMatches(['!bastion'], 'web1'), false);
    assert.equal(hostLineMatches(['a,b'], 'a'), false);
  });
});

describe('shellUnsafe (names that feed ProxyCommand)', () => {
  for (const name of ['web1', 'deploy', 'web-1.example.com', '10.0.0.5', 'fe80::1%eth0', 'user@corp', 'a_b+c=d,e/f~g']) {
    test(`accepts ${JSON.stringify(name)}`, () => assert.equal(shellUnsafe(name), undefined));
  }
  for (const name of ['a;id', 'a$(id)', 'a`id`', 'a|id', 'a&id', 'a>x', 'a<x', "a'b", 'a"b', 'a\\b', 'a{b}', 'a b', 'a\tb', 'a\nb', '-oProxyCommand=x', '$HOME']) {
    test(`refuses ${JSON.stringify(name)}`, () => assert.ok(shellUnsafe(name)));
  }
});
