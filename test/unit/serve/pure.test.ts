import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argumentNames } from '../../../src/cli/list.ts';
import { parseTaskInvocation } from '../../../src/fabfile/args.ts';
import { runArgv, taskWord } from '../../../src/serve/child.ts';
import { parseSetOption } from '../../../src/config/schema.ts';
import { hostName } from '../../../src/serve/guards.ts';
import { isLoopback, parseListen, serveSettings } from '../../../src/serve/options.ts';
import { parseRange } from '../../../src/serve/routes/logs.ts';

test('a task call becomes one fab word that parses back to the same arguments, whatever the values hold', () => {
  const args = { _: ['a,b', 'c=d'], who: 'x:y;z\\', 'k=': 'v' };
  const word = taskWord({ name: 'deploy', args });
  const parsed = parseTaskInvocation(word);
  assert.equal(parsed.name, 'deploy');
  assert.deepEqual(parsed.args, args);
  assert.equal(taskWord({ name: 'plain' }), 'plain');
});

test('a run\'s argv: events on stdout, logs in the run folder, no prompts, targets as flags, tasks last', () => {
  const argv = runArgv({ node: 'node', script: ['fab.js'], base: ['-f', 'fabfile.ts'], cwd: '/', env: {} }, { tasks: [{ name: 'deploy' }], hosts: ['web1', 'web2'], parallel: true, set: { branch: 'a,b' } }, '/data/runs/1/logs');
  assert.deepEqual(argv, ['fab.js', '-f', 'fabfile.ts', '--events', '-', '--log-dir', '/data/runs/1/logs', '--abort-on-prompts', '-H', 'web1,web2', '-P', '--set', 'branch=a\\,b', 'deploy']);
});

test('a set value holding \\, , or = stays one value of one key on the child\'s command line (no key smuggled in)', () => {
  const value = 'x\\,password=hunter2\\';
  const argv = runArgv({ node: 'node', script: ['fab.js'], base: [], cwd: '/', env: {} }, { tasks: [{ name: 'deploy' }], set: { a: value } }, '/logs');
  assert.deepEqual(parseSetOption(argv[argv.indexOf('--set') + 1]!), { a: value });
});

test('Range headers: a span, an open end, a suffix; unsatisfiable past the end; anything else is the whole file', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=95-200', 100), { start: 95, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=9-3', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
  assert.equal(parseRange('items=0-1', 100), undefined);
});

test('--listen forms, loopback names, Host header names', () => {
  assert.deepEqual(parseListen('127.0.0.1:8181'), { host: '127.0.0.1', port: 8181 });
  assert.deepEqual(parseListen('[::1]:9'), { host: '::1', port: 9 });
  assert.deepEqual(parseListen(':8181'), { host: '0.0.0.0', port: 8181 });
  assert.deepEqual(parseListen('8181'), { host: '127.0.0.1', port: 8181 });
  assert.throws(() => parseListen('host:99999'), /write HOST:PORT/);
  assert.ok(isLoopback('127.0.0.2') && isLoopback('::1') && isLoopback('localhost'));
  assert.ok(!isLoopback('0.0.0.0') && !isLoopback('10.0.0.1') && !isLoopback('127.evil.example'));
  assert.equal(hostName('[::1]:8181'), '::1');
  assert.equal(hostName('LocalHost.:80'), 'localhost');
});

test('serve settings: flags over the config file\'s serve key over defaults; beyond loopback needs a token file and TLS', () => {
  const settings = serveSettings({ 'max-runs': 2 }, { maxRuns: 9, keepDays: 3 }, '/project', '/cwd');
  assert.equal(settings.maxRuns, 2);
  assert.equal(settings.keepDays, 3);
  assert.equal(settings.data, '/project/.fab/serve');
  assert.throws(() => serveSettings({ listen: '0.0.0.0:1' }, {}, '/p', '/c'), /needs --token-file/);
  assert.throws(() => serveSettings({ listen: '0.0.0.0:1', 'token-file': 't' }, {}, '/p', '/c'), /--insecure-http/);
  assert.equal(serveSettings({ listen: '0.0.0.0:1', 'token-file': 't', 'insecure-http': true }, {}, '/p', '/c').insecureHttp, true);
  assert.throws(() => serveSettings({ 'max-runs': 0 }, {}, '/p', '/c'), /--max-runs needs a number of at least 1/);
});

test('argument names from a parameter list, defaults with commas and objects included', () => {
  assert.deepEqual(argumentNames("branch = 'main', force, opts = { a: 1, b: [2, 3] }, ...rest"), ['branch', 'force', 'opts', 'rest']);
  assert.deepEqual(argumentNames(undefined), []);
});
