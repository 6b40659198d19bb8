// The built `fab` over the real test bed, not on a terminal: prefixed lines, the failure policy, targets,
// --json, --log-dir, --dry-run, -H @failed, --skip-bad-hosts, warn-only, output levels and colors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execProject } from './exec-fixture.ts';

const project = execProject();
const { tb } = project;
let ids = 0;
const uniqueId = () => `${process.pid}-${Date.now()}-${ids++}`;
const marker = (id: string, host: string) => join(tb.remoteDir, `${id}-${host}`);

test('line mode: parallel hosts writing half lines never mix inside a line; every line says its host and stream', async () => {
  const { code, stdout } = await project.fab(['-H', 'web1,web2,direct', 'halves']);
  assert.equal(code, 0, stdout);
  const outLines = stdout.split('\n').filter((line) => / out: /.test(line));
  assert.equal(outLines.length, 9, stdout);
  for (const line of outLines) assert.match(line, /^\[(web1|web2|direct)\] out: \1-[123]-end$/);
  assert.match(stdout, /^\[web2\] run: for i in 1 2 3; do/m);
  assert.match(stdout, /^\[direct\] Executing task 'halves'$/m);
});

test('serial: a failing host stops the run there, later hosts never start; the summary says so; exit 1', async () => {
  const id = uniqueId();
  const { code, stdout, stderr } = await project.fab(['-H', 'web1,web2,direct', `mark:dir=${tb.remoteDir},id=${id},fail=web2`, 'where']);
  assert.equal(code, 1, stderr);
  assert.ok(existsSync(marker(id, 'web1')));
  assert.ok(!existsSync(marker(id, 'direct')), 'direct never started');
  assert.match(stdout, /^\[web2\] err: cannot deploy on web2$/m);
  assert.match(stderr, /\[web2\] Failed: mark: command failed on web2 with exit code 7/);
  assert.match(stdout, /^Summary: 1 ok, 1 failed, 2 skipped in /m);
  assert.match(stdout, /^ {2}mark +web2 +failed +\S+ +command failed on web2 with exit code 7/m);
  assert.match(stdout, /^ {2}mark +direct +skipped +- +not run: an earlier host failed$/m);
  assert.match(stdout, /^ {2}where +- +skipped +- +not run: the run stopped before this task$/m);
});

test('parallel: hosts already running finish, no new host starts after a failure (-P -z 2)', async () => {
  const id = uniqueId();
  const { code, stdout } = await project.fab(['-P', '-z', '2', '-H', 'web1,web2,direct', `mark:dir=${tb.remoteDir},id=${id},fail=web1`]);
  assert.equal(code, 1);
  assert.ok(existsSync(marker(id, 'web2')), 'web2 was running when web1 failed, and finished');
  assert.ok(!existsSync(marker(id, 'direct')), 'direct was never started');
  assert.match(stdout, /^ {2}mark +web2 +ok/m);
  assert.match(stdout, /^ {2}mark +direct +skipped/m);
});

test('-H @failed reruns where the last run from this directory did not succeed', async () => {
  const own = execProject();
  const { dir } = own;
  const fresh = await own.fab(['-H', '@failed', 'where']);
  assert.equal(fresh.code, 2);
  assert.match(fresh.stderr, /-H @failed: no earlier run is recorded in .*\.fab/);
  const first = uniqueId();
  assert.equal((await own.fab(['-H', 'web1,web2,direct', `mark:dir=${tb.remoteDir},id=${first},fail=web2`])).code, 1);
  const state = JSON.parse(readFileSync(join(dir, '.fab', 'last-run.json'), 'utf8')) as { failed: string[] };
  assert.deepEqual(state.failed, ['web2', 'direct'], 'the failed host and the one that never ran');
  const retry = uniqueId();
  const again = await own.fab(['-H', '@failed', `mark:dir=${tb.remoteDir},id=${retry}`]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(['web1', 'web2', 'direct'].map((host) => existsSync(marker(retry, host))), [false, true, true]);
  const nothing = await own.fab(['-H', '@failed', 'where', '--json']);
  assert.equal(nothing.code, 0);
  assert.match(nothing.stderr, /no host failed in the last run .*nothing to do/);
  assert.deepEqual(JSON.parse(nothing.stdout).tasks, []);
});

test('--skip-bad-hosts: an unreachable host is skipped with a warning, the rest run, exit 0; without it, exit 1', async () => {
  const hosts = ['-H', 'fabtest@127.0.0.1:1,web1', '-n', '1', 'values'];
  const skipping = await project.fab(['--skip-bad-hosts', ...hosts]);
  assert.equal(skipping.code, 0, skipping.stderr);
  assert.match(skipping.stderr, /Warning: skipping fabtest@127\.0\.0\.1:1 \(--skip-bad-hosts\): cannot connect/);
  assert.match(skipping.stdout, /^ {2}values +fabtest@127\.0\.0\.1:1 +skipped .*unreachable: cannot connect/m);
  assert.match(skipping.stdout, /^ {2}values +web1 +ok/m);
  const failing = await project.fab(hosts);
  assert.equal(failing.code, 1);
  assert.match(failing.stdout, /^ {2}values +fabtest@127\.0\.0\.1:1 +failed .*connection refused/m);
  assert.match(failing.stdout, /^ {2}values +web1 +skipped/m);
});

test('targets: roles from env.roledefs (lists and { hosts }), per-task hosts=/roles=/exclude_hosts=, runsOnce, execute()', async () => {
  const executing = (stdout: string) => [...stdout.matchAll(/^\[(\S+)\] Executing task '(\S+)'$/gm)].map((match) => `${match[2]}@${match[1]}`);
  assert.deepEqual(executing((await project.fab(['-R', 'web', 'where'])).stdout), ['where@web1', 'where@web2']);
  assert.deepEqual(executing((await project.fab(['-H', 'web1', 'where:roles=all,exclude_hosts=web2'])).stdout), ['where@web1', 'where@direct']);
  assert.deepEqual(executing((await project.fab(['-H', 'web1,web1,direct', 'where:hosts=direct;web2', 'where'])).stdout), ['where@direct', 'where@web2', 'where@web1', 'where@direct']);
  const once = await project.fab(['-H', 'web1,web2', 'once']);
  assert.deepEqual(once.stdout.match(/ONCE ON \S+/g), ['ONCE ON web1']);
  const fanout = await project.fab(['fanout', '--json']);
  const doc = JSON.parse(fanout.stdout) as { tasks: { task: string; hosts: { host: string | null; value: unknown }[] }[] };
  assert.deepEqual(doc.tasks[0]!.hosts[0]!.value, { web1: 'web1', web2: 'web2' }, 'execute() from a local task returns { host: value }');
  assert.deepEqual(doc.tasks.map((run) => run.task), ['fanout', 'where']);
});

test('--json: one JSON document on stdout and nothing else; it agrees with what happened and with the exit status', async () => {
  const ok = await project.fab(['-H', 'web1,direct', 'values', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const doc = JSON.parse(ok.stdout);
  assert.equal(doc.exitCode, 0);
  assert.equal(doc.ok, true);
  assert.deepEqual(doc.tasks[0].hosts.map((host: { host: string; status: string; value: { stdout: string } }) => [host.host, host.status, host.value.stdout]), [
    ['web1', 'ok', 'hi-from-fabtest\n'],
    ['direct', 'ok', 'hi-from-fabtest\n'],
  ]);
  assert.deepEqual(doc.tasks[0].hosts[0].commands.map((command: { command: string; exitCode: number }) => [command.command, command.exitCode]), [['echo hi-from-$(id -un)', 0]]);
  assert.match(ok.stderr, /printed by the task/, 'what the fabfile prints goes to stderr');
  assert.match(ok.stderr, /\[web1\] out: hi-from-fabtest/, 'progress goes to stderr');

  const failed = await project.fab(['-H', 'web1,web2', 'flaky', '--json']);
  assert.equal(failed.code, 1);
  const failedDoc = JSON.parse(failed.stdout);
  assert.equal(failedDoc.exitCode, 1);
  const [web1, web2] = failedDoc.tasks[0].hosts;
  assert.equal(web1.status, 'failed');
  assert.equal(web1.commands[0].exitCode, 3);
  assert.match(web1.error, /command failed on web1 with exit code 3: echo about to fail; exit 3\nabout to fail/);
  assert.equal(web2.status, 'skipped');
  assert.deepEqual(failedDoc.failedHosts, ['web1', 'web2']);

  const usage = await project.fab(['nosuchtask', '--json']);
  assert.equal(usage.code, 2);
  assert.equal(JSON.parse(usage.stdout).exitCode, 2, 'a run that cannot start still gives one document');
});

test('--log-dir: a 0600 log per host with output bytes exactly, answers as ***, no password anywhere, and a run log', async () => {
  const logs = join(project.dir, `logs-${uniqueId()}`);
  const { code, stderr } = await project.fab(['-H', 'web1', 'mixed', '--log-dir', logs]);
  assert.equal(code, 0, stderr);
  assert.deepEqual(readdirSync(logs).sort(), ['bastion.log', 'run.log', 'web1.log']);
  for (const name of readdirSync(logs)) {
    assert.equal(statSync(join(logs, name)).mode & 0o777, 0o600, name);
    assert.ok(!readFileSync(join(logs, name)).includes(tb.password), `no password in ${name}`);
  }
  const web1 = readFileSync(join(logs, 'web1.log'));
  const text = web1.toString('latin1');
  assert.match(text, /Z run: printf 'line1\\nline2-no-newline'/);
  assert.match(text, /Z out: line1\n/);
  assert.ok(web1.includes(Buffer.concat([Buffer.from('err: '), Buffer.from([0xff, 0xfe]), Buffer.from(' raw\n')])), 'invalid UTF-8 kept byte for byte');
  assert.match(text, /Z out: line2-no-newline\n.*Z out: \\ no newline at end of output\n/);
  assert.match(text, /Z sudo: id -un\n/);
  assert.match(text, /Z answer: .*sudo.* -> \*\*\*\n/);
  assert.match(text, /Z exit: exit code 0 after \d+ ms\n/);
  const run = readFileSync(join(logs, 'run.log'), 'utf8');
  assert.match(run, /Z run: fab mixed/);
  assert.match(run, /Z warning: \[web1\] careful now/);
  assert.match(run, /Z ok: mixed on web1/);
  assert.match(run, /Z end: exit code 0\n$/);
});

test('--dry-run: run, sudo and local are shown per host and not executed; Results say dryRun', async () => {
  const id = uniqueId();
  const { code, stdout, stderr } = await project.fab(['-H', 'web1,direct', `dry:dir=${tb.remoteDir},id=${id}`, '--dry-run', '--json']);
  assert.equal(code, 0, stderr);
  assert.match(stderr, new RegExp(`^\\[web1\\] run: touch ${tb.remoteDir}/${id}-run \\(dry run\\)$`, 'm'));
  assert.match(stderr, /^\[direct\] sudo: touch .* \(dry run\)$/m);
  assert.match(stderr, /^\[localhost\] local: touch .* \(dry run\)$/m);
  const doc = JSON.parse(stdout);
  assert.equal(doc.dryRun, true);
  assert.deepEqual(doc.tasks[0].hosts.map((host: { value: unknown }) => host.value), [[true, true, true], [true, true, true]]);
  assert.ok(!['run', 'sudo', 'local'].some((what) => existsSync(join(tb.remoteDir, `${id}-${what}`))));
});

test('-w/--warn-only: a failing command warns and the task goes on; exit 0', async () => {
  const { code, stdout, stderr } = await project.fab(['-H', 'web1', 'flaky', '-w']);
  assert.equal(code, 0);
  assert.match(stderr, /\[web1\] Warning: command failed on web1 with exit code 3/);
  assert.match(stdout, /\[web1\] out: continued/);
});

test('--hide/--show levels: running, stdout, status (the summary too), warnings', async () => {
  const hidden = await project.fab(['-H', 'web1', 'flaky', '-w', '--hide', 'running,status,warnings']);
  assert.doesNotMatch(hidden.stdout, /run: |Executing task|Summary/);
  assert.doesNotMatch(hidden.stderr, /Warning/);
  assert.match(hidden.stdout, /\[web1\] out: continued/);
  const quiet = await project.fab(['-H', 'web1', 'flaky', '-w', '--hide', 'stdout']);
  assert.doesNotMatch(quiet.stdout, /out: /);
  assert.match(quiet.stdout, /run: echo continued/);
  const debug = await project.fab(['-H', 'web1', 'values', '--show', 'debug']);
  assert.match(debug.stderr, /\[web1\] ssh: connected via bastion/);
});

test('colors only where supported: none when piped, FORCE_COLOR turns them on, NO_COLOR and --no-color off', async () => {
  const escape = /\u001b\[\d+m/;
  assert.doesNotMatch((await project.fab(['-H', 'web1', 'where'])).stdout, escape);
  assert.match((await project.fab(['-H', 'web1', 'where'], { env: { FORCE_COLOR: '1' } })).stdout, escape);
  assert.doesNotMatch((await project.fab(['-H', 'web1', 'where', '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout, escape);
  assert.doesNotMatch((await project.fab(['-H', 'web1', 'where'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout, escape);
});
