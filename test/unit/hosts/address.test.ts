import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { formatIPv6, settleHostname } from '../../../src/hosts/address.ts';
import { cleanUp, sameAsOpenSsh, skipWithoutSsh } from './openssh-oracle.ts';

after(cleanUp);

describe('formatIPv6 writes addresses as glibc inet_ntop does', () => {
  const cases: [string, string][] = [
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['1::', '1::'],
    ['FE80::A', 'fe80::a'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::ffff:0102:0304', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::1.2.3.4'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
  ];
  for (const [input, expected] of cases) test(`${input} -> ${expected}`, () => assert.equal(formatIPv6(input), expected));
  test('not an address', () => assert.equal(formatIPv6('1:2:3'), undefined));
});

describe('settleHostname', () => {
  test('lowercases names', () => assert.equal(settleHostname('Web1.Example.COM'), 'web1.example.com'));
  test('keeps IPv4 as it is', () => assert.equal(settleHostname('192.0.2.1'), '192.0.2.1'));
  test('keeps an IPv6 address whose canonical form differs only in case', () => assert.equal(settleHostname('FE80::A'), 'FE80::A'));
  test('rewrites a longer IPv6 form', () => assert.equal(settleHostname('0:0::A'), '::a'));
  test('keeps the zone of a scoped address', () => assert.equal(settleHostname('fe80:0::1%eth0'), 'fe80::1%eth0'));
});

describe('typed addresses end up as ssh -G prints them', { skip: skipWithoutSsh }, () => {
  for (const address of ['::1', '0:0::1', '0:0::A', 'FE80::A', '::ffff:1.2.3.4', '1:0:0:2:0:0:0:3', '2001:DB8:0:0:1:0:0:1', '192.0.2.1']) {
    test(address, () => sameAsOpenSsh('', address));
  }
});
