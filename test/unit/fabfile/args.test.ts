import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTaskInvocation } from '../../../src/fabfile/args.ts';

test('a bare task name has no arguments', () => {
  assert.deepEqual(parseTaskInvocation('deploy'), { name: 'deploy', args: { _: [] } });
});

test('positional and keyword arguments follow Fabric 1 syntax', () => {
  assert.deepEqual(parseTaskInvocation('deploy:dev,force=yes').args, { _: ['dev'], force: 'yes' });
});

test('escaped commas and equals signs stay inside a value', () => {
  assert.deepEqual(parseTaskInvocation('say:a\\,b,msg=x\\=y').args, { _: ['a,b'], msg: 'x=y' });
});

test('an escaped colon stays in the argument, and a value may contain unescaped colons', () => {
  assert.deepEqual(parseTaskInvocation('get:url=http://x:80/a').args, { _: [], url: 'http://x:80/a' });
  assert.deepEqual(parseTaskInvocation('t:a\\:b').args, { _: ['a:b'] });
});

test('backslashes that escape nothing are kept (Windows paths)', () => {
  assert.deepEqual(parseTaskInvocation('t:C:\\dir').args, { _: ['C:\\dir'] });
});

test('namespaced task names keep their dots', () => {
  assert.equal(parseTaskInvocation('db.migrate:up').name, 'db.migrate');
});

test('reserved keys retarget the task instead of becoming arguments', () => {
  const invocation = parseTaskInvocation('deploy:hosts=a;b,role=web,exclude_hosts=b,x=1');
  assert.deepEqual(invocation.hosts, ['a', 'b']);
  assert.deepEqual(invocation.roles, ['web']);
  assert.deepEqual(invocation.excludeHosts, ['b']);
  assert.deepEqual(invocation.args, { _: [], x: '1' });
});

test('an empty value and an empty argument list are allowed', () => {
  assert.deepEqual(parseTaskInvocation('t:').args, { _: [] });
  assert.deepEqual(parseTaskInvocation('t:k=').args, { _: [], k: '' });
});

test('a task spec with no name, or an argument with no key, is a usage error', () => {
  assert.throws(() => parseTaskInvocation(':x'), /names no task/);
  assert.throws(() => parseTaskInvocation('t:=v'), /has no name/);
  assert.throws(() => parseTaskInvocation('t:_=v'), /reserved/);
});

test('an empty name in hosts=, roles= or exclude_hosts= is a usage error, not a task retargeted to nothing', () => {
  assert.throws(() => parseTaskInvocation('t:hosts='), /hosts= in "t:hosts=" holds an empty name/);
  assert.throws(() => parseTaskInvocation('t:hosts=a;;b'), /empty name/);
  assert.throws(() => parseTaskInvocation('t:roles=web;'), /roles= .* empty name/);
  assert.throws(() => parseTaskInvocation('t:exclude_hosts= '), /exclude_hosts= .* empty name/);
});
