import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeHolder, hostKey, lockName, parseHolder, printable } from '../../../src/exec/lock-names.ts';

test('lock entries are named after the target host: a host string becomes a safe file name, distinct per host', () => {
  assert.equal(hostKey('web1'), 'web1');
  assert.equal(hostKey('deploy@db:2222'), 'deploy%40db%3A2222');
  assert.equal(hostKey('[::1]:22'), '%5B%3A%3A1%5D%3A22');
  assert.notEqual(hostKey('a/b'), hostKey('a_b'));
  assert.doesNotMatch(hostKey('../../etc'), /\//);
});

test('a lock is named after its task, or the name given; never a path', () => {
  assert.equal(lockName(true, 'deploy'), 'deploy');
  assert.equal(lockName('web deploy', 'x'), 'web_deploy');
  assert.equal(lockName('../x', 'deploy'), '.._x');
  assert.equal(lockName('  ', 'db.migrate'), 'db.migrate');
});

test('a holder record from a host is shown without control characters; an unreadable one says so', () => {
  const holder = parseHolder(JSON.stringify({ owner: 'alice@laptop', run: 'abc', task: 'deploy', since: '2026-12-06T08:00:00Z', message: 'fix\u001b[2J\nnow' }));
  assert.deepEqual(holder, { owner: 'alice@laptop', run: 'abc', task: 'deploy', since: '2026-12-06T08:00:00Z', message: 'fix?[2J?now' });
  assert.equal(describeHolder(holder), 'alice@laptop (run abc, task deploy) since 2026-12-06T08:00:00Z: "fix?[2J?now"');
  assert.equal(parseHolder('not json'), undefined);
  assert.equal(parseHolder(JSON.stringify({ owner: 5 }))?.owner, '?');
  assert.match(describeHolder(undefined), /being taken right now, or its record is unreadable/);
  assert.equal(printable('x'.repeat(1000)).length, 300);
});
