// `fab --events FILE|-` on the real test bed: the run as JSON lines while it goes, redacted as --json is; and the
// parent watch a run started by `fab serve` has (its stdin closing ends the run, remote processes included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FAB_BIN } from '../support/fab.ts';
import { processesMatching } from '../support/processes.ts';
import { execProject } from './exec-fixture.ts';

const project = execProject();
type Line = Record<string, unknown> & { kind: string };
const parse = (text: string): Line[] => text.trim().split('\n').map((line) => JSON.parse(line) as Line);

test('--events -: stdout is one JSON event a line from run-start to run-end; people get their progress on stderr; no secret anywhere', async () => {
  const { code, stdout, stderr } = await project.fab(['-H', 'web1', '--events', '-', 'mixed']);
  assert.equal(code, 0, stderr);
  const lines = parse(stdout);
  assert.deepEqual([lines[0]!.kind, lines.at(-1)!.kind], ['run-start', 'run-end']);
  const start = lines[0]!;
  assert.deepEqual(start.tasks, ['mixed']);
  assert.deepEqual(start.hosts, ['web1']);
  assert.equal((start.options as Record<string, unknown>).sudoPassword, '***');
  assert.equal(start.format, 1);
  for (const line of lines) assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
  const kinds = new Set(lines.map((line) => line.kind));
  for (const kind of ['task-plan', 'task-start', 'command', 'output', 'command-end', 'warning', 'task-end']) assert.ok(kinds.has(kind), `${kind} is written`);
  const outputs = lines.filter((line) => line.kind === 'output');
  assert.ok(outputs.some((line) => line.host === 'web1' && line.stream === 'stdout' && String(line.text).includes('line1')));
  assert.ok(outputs.some((line) => line.stream === 'stderr' && String(line.text).includes('raw')));
  assert.ok(outputs.every((line) => !('bytes' in line)), 'output is text, not a Buffer dump');
  const ends = lines.filter((line) => line.kind === 'command-end');
  assert.deepEqual(ends.map((line) => line.exitCode), [0, 0]);
  const end = lines.at(-1)!;
  assert.equal(end.exitCode, 0);
  assert.deepEqual((end.summary as { failedHosts: string[] }).failedHosts, []);
  assert.ok(!stdout.includes(project.tb.password), 'the sudo password is in no event');
  assert.match(stderr, /\[web1\] out: line1/);
});

test('--events FILE: a failing run ends with run-end exit code 1, the failed host in its summary; the file is 0600', async () => {
  const file = join(project.dir, `events-${process.pid}.jsonl`);
  const { code, stdout } = await project.fab(['-H', 'web1,web2', '--events', file, 'fails']);
  assert.equal(code, 1);
  assert.match(stdout, /Summary: 1 failed, 1 skipped/, 'the terminal output is unchanged');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const lines = parse(readFileSync(file, 'utf8'));
  const failed = lines.find((line) => line.kind === 'task-end' && line.host === 'web1')!;
  assert.equal(failed.status, 'failed');
  assert.match(String(failed.error), /exit code 3/);
  const end = lines.at(-1)!;
  assert.equal(end.kind, 'run-end');
  assert.equal(end.exitCode, 1);
  assert.deepEqual((end.summary as { failedHosts: string[] }).failedHosts, ['web1', 'web2']);
});

test('--events - when the run cannot start: one run-end line with the exit code, the error and its code', async () => {
  const { code, stdout } = await project.fab(['--events', '-', 'no-such-task']);
  assert.equal(code, 2);
  const lines = parse(stdout);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.kind, 'run-end');
  assert.equal(lines[0]!.exitCode, 2);
  assert.equal(lines[0]!.code, 'UNKNOWN_TASK');
  assert.match(String(lines[0]!.error), /no task named "no-such-task"/);
});

test('--events - with --json is a usage error (both want stdout)', async () => {
  const { code, stderr } = await project.fab(['--events', '-', '--json', 'where']);
  assert.equal(code, 2);
  assert.match(stderr, /--json and --events - both want stdout/);
});

test('a served run (FABTS_SERVE_CHILD=1) whose parent goes away (stdin closes) ends itself and its remote command', async () => {
  const marker = `${process.pid}${Date.now() % 1_000_000}`;
  const child = spawn(process.execPath, [FAB_BIN, ...project.args(['-H', 'web1', '--events', '-', `hang:marker=${marker}`])], {
    cwd: project.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project.dir, LANG: 'C.UTF-8', FABTS_SERVE_CHILD: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  const started = new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (/"text":"started\\n"/.test(stdout)) resolve();
    }),
  );
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await started;
  // "started" is printed before the shell starts sleep: wait for the sleep to show on the host.
  const sleeping = () => processesMatching(`sleep 300.${marker}`).filter((line) => /^\d+: sleep /.test(line)).length;
  for (let waited = 0; sleeping() === 0 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(sleeping(), 1);
  child.stdin.end();
  const code = await closed;
  clearTimeout(killer);
  assert.equal(code, 143);
  const end = parse(stdout).at(-1)!;
  assert.equal(end.kind, 'run-end');
  assert.equal(end.exitCode, 130);
  assert.deepEqual(processesMatching(marker), [], 'no process with the marker remains on the host');
});
