import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatHostString, parseHostString, splitHostList, type HostSpec } from '../../../src/hosts/spec.ts';
import { isFabError } from '../../../src/errors.ts';

describe('parseHostString', () => {
  const valid: [string, Omit<HostSpec, 'text'>][] = [
    ['web1', { host: 'web1' }],
    ['web1.example.com', { host: 'web1.example.com' }],
    ['deploy@web1', { user: 'deploy', host: 'web1' }],
    ['web1:2222', { host: 'web1', port: 2222 }],
    ['deploy@web1:2222', { user: 'deploy', host: 'web1', port: 2222 }],
    ['web1:1', { host: 'web1', port: 1 }],
    ['web1:65535', { host: 'web1', port: 65535 }],
    ['web1:022', { host: 'web1', port: 22 }],
    ['10.0.0.1:22', { host: '10.0.0.1', port: 22 }],
    ['[2001:db8::1]', { host: '2001:db8::1' }],
    ['[2001:db8::1]:2222', { host: '2001:db8::1', port: 2222 }],
    ['root@[::1]:22', { user: 'root', host: '::1', port: 22 }],
    ['::1', { host: '::1' }],
    ['fe80::1', { host: 'fe80::1' }],
    ['deploy@fe80::1', { user: 'deploy', host: 'fe80::1' }],
    ['::ffff:192.0.2.1', { host: '::ffff:192.0.2.1' }],
    ['fe80::1%eth0', { host: 'fe80::1%eth0' }],
    ['[example.com]:2222', { host: 'example.com', port: 2222 }],
    ['me@corp.example@web1', { user: 'me@corp.example', host: 'web1' }],
    ['me@corp@[::1]:2200', { user: 'me@corp', host: '::1', port: 2200 }],
    ['my-alias', { host: 'my-alias' }],
    ['WEB1', { host: 'WEB1' }],
  ];
  for (const [text, expected] of valid) {
    test(`reads ${text}`, () => assert.deepEqual(parseHostString(text), { ...expected, text }));
  }

  const invalid: [string, RegExp][] = [
    ['', /empty/],
    ['user@', /host is empty/],
    ['@web1', /user before "@" is empty/],
    [':22', /host is empty/],
    ['user@:22', /host is empty/],
    ['a:b:c', /not a valid IPv6 address/],
    ['web1:2222:1', /not a valid IPv6 address/],
    ['2001:db8::1:22:', /not a valid IPv6 address/],
    ['web1:0', /not in 1\.\.65535/],
    ['web1:99999', /not in 1\.\.65535/],
    ['web1:65536', /not in 1\.\.65535/],
    ['web1:abc', /not a number/],
    ['web1:-1', /not a number/],
    ['web1:22.5', /not a number/],
    ['web1:', /port after ":" is empty/],
    ['[::1]:', /port after ":" is empty/],
    ['[::1]:0', /not in 1\.\.65535/],
    ['[::1', /no closing "\]"/],
    ['[]:22', /inside "\[\]" is empty/],
    ['[a:b:c]:22', /not a valid IPv6 address/],
    ['[::1]22', /unexpected "22" after "\]"/],
    ['web 1', /spaces or control characters/],
    [' web1', /spaces or control characters/],
    ['web1\t', /spaces or control characters/],
    ['web1\n', /spaces or control characters/],
    ['we\u0000b1', /spaces or control characters/],
    ['web\u007f1', /spaces or control characters/],
  ];
  for (const [text, problem] of invalid) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseHostString(text),
        (error: unknown) => {
          assert.ok(isFabError(error));
          assert.equal(error.code, 'BAD_HOST');
          assert.equal(error.exitCode, 2);
          assert.match(error.message, problem);
          assert.match(error.message, /user@host:port/, 'names the accepted forms');
          assert.doesNotMatch(error.message, /\n/, 'is one line');
          return true;
        },
      );
    });
  }
});

describe('formatHostString', () => {
  const cases: [Omit<HostSpec, 'text'>, string][] = [
    [{ host: 'web1' }, 'web1'],
    [{ user: 'deploy', host: 'web1' }, 'deploy@web1'],
    [{ host: 'web1', port: 2222 }, 'web1:2222'],
    [{ user: 'deploy', host: 'web1', port: 22 }, 'deploy@web1:22'],
    [{ host: '::1' }, '::1'],
    [{ host: '::1', port: 22 }, '[::1]:22'],
    [{ user: 'root', host: 'fe80::1', port: 2200 }, 'root@[fe80::1]:2200'],
    [{ user: 'me@corp', host: 'web1' }, 'me@corp@web1'],
  ];
  for (const [spec, expected] of cases) {
    test(`writes ${expected}`, () => assert.equal(formatHostString(spec), expected));
  }

  const roundTrips = ['web1', 'deploy@web1:2222', '[2001:db8::1]:22', 'fe80::1', 'me@corp@[::1]:2200', 'root@10.0.0.1:22'];
  for (const text of roundTrips) {
    test(`round-trips ${text}`, () => assert.equal(formatHostString(parseHostString(text)), text));
  }
  test('canonicalizes what it reads', () => assert.equal(formatHostString(parseHostString('web1:022')), 'web1:22'));
});

describe('splitHostList', () => {
  const cases: [string, string[]][] = [
    ['web1', ['web1']],
    ['web1,web2', ['web1', 'web2']],
    ['a,b , c', ['a', 'b', 'c']],
    [' a , , b,, ', ['a', 'b']],
    ['', []],
    [',,', []],
    ['web1,web2,web1', ['web1', 'web2']],
    ['b,a,b,a', ['b', 'a']],
    ['[::1]:22,deploy@[2001:db8::1]:2200,web1', ['[::1]:22', 'deploy@[2001:db8::1]:2200', 'web1']],
    ['::1,fe80::1', ['::1', 'fe80::1']],
    ['u@h:1, u@h:1', ['u@h:1']],
  ];
  for (const [text, expected] of cases) {
    test(`splits ${JSON.stringify(text)}`, () => assert.deepEqual(splitHostList(text), expected));
  }
});
