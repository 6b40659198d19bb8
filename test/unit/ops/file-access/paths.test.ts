import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { test } from 'node:test';
import { lcd } from '../../../../src/env/scopes.ts';
import { DEFAULT_GET_TEMPLATE, expandPathTokens, hasPathTokens, namesDirectory, normalizeRemote, resolveLocalPath } from '../../../../src/ops/file-access/paths.ts';
import { resolve } from 'node:path';

test('get() path tokens expand per remote file; {host} has : as - so a port never makes an odd path', () => {
  const tokens = { host: 'deploy@web1:2222', path: '/var/log/app/error.log' };
  assert.equal(expandPathTokens('{host}/{path}', tokens), 'deploy@web1-2222//var/log/app/error.log');
  assert.equal(expandPathTokens('logs/{dirname}/{basename}.{host}', tokens), 'logs//var/log/app/error.log.deploy@web1-2222');
  assert.equal(expandPathTokens('{unknown}/{basename}', tokens), '{unknown}/error.log', 'other braces are left as written');
  assert.equal(expandPathTokens('{path}{path}', { host: 'h', path: '/a' }), '/a/a', 'every occurrence');
});

test('the default template keeps hosts apart and resolves to <host>/<remote path>', () => {
  assert.equal(DEFAULT_GET_TEMPLATE, '{host}/{path}');
  assert.equal(resolve('/work', expandPathTokens(DEFAULT_GET_TEMPLATE, { host: 'web1', path: '/etc/hosts' })), '/work/web1/etc/hosts');
});

test('hasPathTokens knows the four tokens only', () => {
  assert.equal(hasPathTokens('out/{basename}'), true);
  assert.equal(hasPathTokens('out/{name}'), false);
  assert.equal(hasPathTokens('out/'), false);
});

test('remote paths are normalized without a trailing slash; a trailing slash names a directory', () => {
  assert.equal(normalizeRemote('/srv//app/./x/../y/'), '/srv/app/y');
  assert.equal(normalizeRemote('/'), '/');
  for (const path of ['/srv/app/', '.', '~', 'dir/.']) assert.equal(namesDirectory(path), true, path);
  for (const path of ['/srv/app', 'file.txt', '~/x']) assert.equal(namesDirectory(path), false, path);
});

test('local paths: ~ is this user\'s home, relative paths follow lcd()', async () => {
  assert.equal(resolveLocalPath('~'), homedir());
  assert.equal(resolveLocalPath('~/x/y'), resolve(homedir(), 'x/y'));
  assert.equal(resolveLocalPath('/abs/x'), '/abs/x');
  assert.equal(resolveLocalPath('rel'), resolve(process.cwd(), 'rel'));
  await lcd('/tmp', () => lcd('deeper', async () => assert.equal(resolveLocalPath('rel'), '/tmp/deeper/rel')));
});
