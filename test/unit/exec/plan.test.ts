import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concurrencyFor, hostsForTask } from '../../../src/exec/plan.ts';
import { parseTaskInvocation } from '../../../src/fabfile/args.ts';

const roledefs = { web: ['web1', 'web2'], db: { hosts: ['db1'], note: 'object form' }, all: ['web1', 'db1', 'cache1'] };

test('targets: per-task hosts= beat -H/-R, which beat the task\'s own hosts/roles, which beat env.hosts/env.roles', () => {
  const env = { hosts: ['env1'], roles: [], roledefs };
  const own = { hosts: ['own1'], roles: ['db'] };
  const cli = { hosts: ['cli1'], roles: ['web'] };
  assert.deepEqual(hostsForTask(parseTaskInvocation('t:hosts=a;b'), own, cli, env), ['a', 'b']);
  assert.deepEqual(hostsForTask(parseTaskInvocation('t'), own, cli, env), ['cli1', 'web1', 'web2']);
  assert.deepEqual(hostsForTask(parseTaskInvocation('t'), own, {}, env), ['own1', 'db1']);
  assert.deepEqual(hostsForTask(parseTaskInvocation('t'), {}, {}, env), ['env1']);
  assert.deepEqual(hostsForTask(parseTaskInvocation('t'), {}, {}, { roles: ['db'], roledefs }), ['db1']);
  assert.deepEqual(hostsForTask(parseTaskInvocation('t'), {}, {}, { roledefs }), [], 'no hosts: runs locally');
});

test('targets: roles expand (lists and { hosts } objects), duplicates go, order stays, exclusions from every level apply', () => {
  assert.deepEqual(hostsForTask(parseTaskInvocation('t'), {}, { roles: ['web', 'all'] }, { roledefs }), ['web1', 'web2', 'db1', 'cache1']);
  assert.deepEqual(hostsForTask(parseTaskInvocation('t:roles=all,exclude_hosts=db1'), {}, { excludeHosts: ['cache1'] }, { roledefs }), ['web1']);
  assert.deepEqual(hostsForTask(parseTaskInvocation('t'), { hosts: ['a', 'b', 'a'], excludeHosts: ['b'] }, {}, { excludeHosts: [] }), ['a']);
  assert.throws(() => hostsForTask(parseTaskInvocation('t'), {}, { roles: ['nope'] }, { roledefs }), /role "nope" is not defined in env.roledefs \(known: web, db, all\)/);
});

test('concurrency: serial by default, -P or parallel: true = all at once (bounded by -z), parallel: N, serial: true wins', () => {
  assert.equal(concurrencyFor({}, false, undefined, 5), 1);
  assert.equal(concurrencyFor({}, true, undefined, 5), 5);
  assert.equal(concurrencyFor({}, true, 2, 5), 2);
  assert.equal(concurrencyFor({ parallel: true }, false, undefined, 4), 4);
  assert.equal(concurrencyFor({ parallel: 3 }, false, undefined, 10), 3);
  assert.equal(concurrencyFor({ serial: true }, true, 8, 10), 1);
});
