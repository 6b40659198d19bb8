import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Result } from '../../../src/ops/command/result.ts';
import { EventBus, type FabEvent } from '../../../src/report/events.ts';
import { runDocument } from '../../../src/report/json.ts';
import { LineReporter } from '../../../src/report/lines.ts';
import { RunRecorder } from '../../../src/report/record.ts';
import { formatSummary } from '../../../src/report/summary.ts';

const command = (host: string, code: number): FabEvent => ({
  kind: 'command-end',
  host,
  runner: 'run',
  result: new Result({ host, command: 'deploy.sh', stdout: '', stderr: '', code, durationMs: 12, ok: code === 0 }),
});

/** A run as the runner reports it: deploy on a (ok), b (failed), c (never started); restart never reached. */
function failedRun(): FabEvent[] {
  return [
    { kind: 'run-start', tasks: ['deploy', 'restart'] },
    { kind: 'task-plan', task: 'deploy', invocation: 1, hosts: ['a', 'b', 'c'], concurrency: 1 },
    { kind: 'task-start', task: 'deploy', host: 'a', invocation: 1 },
    command('a', 0),
    { kind: 'task-end', task: 'deploy', host: 'a', invocation: 1, status: 'ok', ok: true, durationMs: 1500, value: { version: 7 } },
    { kind: 'task-start', task: 'deploy', host: 'b', invocation: 1 },
    command('b', 2),
    { kind: 'task-end', task: 'deploy', host: 'b', invocation: 1, status: 'failed', ok: false, durationMs: 300, error: 'command failed on b with exit code 2: deploy.sh', detail: 'command failed on b with exit code 2: deploy.sh\nno space left' },
    { kind: 'task-end', task: 'deploy', host: 'c', invocation: 1, status: 'skipped', ok: false, skipped: true, durationMs: 0, reason: 'not run: an earlier host failed' },
  ];
}

test('the recorder turns events into a summary table: task x host -> result, time, why', () => {
  const recorder = new RunRecorder();
  for (const event of failedRun()) recorder.handle(event);
  const text = formatSummary(recorder, { color: false });
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0]!, /^Summary: 1 ok, 1 failed, 2 skipped in /);
  assert.match(lines[1]!, /^ {2}TASK +HOST +RESULT +TIME$/);
  assert.match(lines[2]!, /^ {2}deploy +a +ok +1\.5s$/);
  assert.match(lines[3]!, /^ {2}deploy +b +failed +0\.3s +command failed on b with exit code 2: deploy\.sh$/);
  assert.match(lines[4]!, /^ {2}deploy +c +skipped +- +not run: an earlier host failed$/);
  assert.match(lines[5]!, /^ {2}restart +- +skipped +- +not run: the run stopped before this task$/);
  assert.equal(recorder.exitCode(), 1);
  assert.deepEqual(recorder.failedHosts(), ['b', 'c']);
  const narrow = formatSummary(recorder, { color: false, width: 50 });
  assert.ok(narrow.split('\n').every((line) => line.length <= 50), narrow);
});

test('--json document agrees with the summary: per task and host, commands\' exit codes, values, errors', () => {
  const recorder = new RunRecorder();
  for (const event of failedRun()) recorder.handle(event);
  const doc = runDocument(recorder, recorder.exitCode(), { dryRun: false });
  assert.equal(doc.exitCode, 1);
  assert.equal(doc.ok, false);
  const [deploy, restart] = doc.tasks;
  assert.deepEqual(deploy!.hosts.map((host) => [host.host, host.status, host.commands.map((c) => c.exitCode)]), [
    ['a', 'ok', [0]],
    ['b', 'failed', [2]],
    ['c', 'skipped', []],
  ]);
  assert.deepEqual(deploy!.hosts[0]!.value, { version: 7 });
  assert.equal(deploy!.hosts[1]!.error, 'command failed on b with exit code 2: deploy.sh\nno space left');
  assert.equal(restart!.task, 'restart');
  assert.equal((restart as { status?: string }).status, 'skipped');
  assert.deepEqual(doc.failedHosts, ['b', 'c']);
});

test('exit codes: skipped-unreachable hosts alone exit 0; an interrupt exits 130', () => {
  const recorder = new RunRecorder();
  recorder.handle({ kind: 'task-plan', task: 't', invocation: 1, hosts: ['down', 'up'], concurrency: 2 });
  recorder.handle({ kind: 'task-end', task: 't', host: 'down', invocation: 1, status: 'skipped', ok: false, skipped: true, durationMs: 5, reason: 'unreachable: connection refused' });
  recorder.handle({ kind: 'task-end', task: 't', host: 'up', invocation: 1, status: 'ok', ok: true, durationMs: 5 });
  assert.equal(recorder.exitCode(), 0);
  assert.deepEqual(recorder.failedHosts(), ['down'], 'an unreachable host is retried by -H @failed');
  recorder.handle({ kind: 'interrupt' });
  assert.equal(recorder.exitCode(), 130);
});

test('line reporter: partial lines from parallel hosts are held per host and stream, never mixed inside a line', () => {
  const out = new PassThrough();
  const bus = new EventBus();
  new LineReporter(out, out, false).attach(bus);
  const chunk = (host: string, text: string, stream: 'stdout' | 'stderr' = 'stdout') =>
    bus.emit({ kind: 'output', host, stream, text, bytes: Buffer.from(text), hidden: false });
  chunk('web1', 'ab');
  chunk('web2', 'xy');
  chunk('web1', 'err-', 'stderr');
  chunk('direct', '12');
  chunk('web2', 'z\nnext');
  chunk('web1', 'cd\n');
  chunk('direct', '34\n');
  chunk('web1', 'part\n', 'stderr');
  bus.emit(command('web2', 0));
  const lines = String(out.read()).trimEnd().split('\n');
  assert.deepEqual(lines, ['[web2] out: xyz', '[web1] out: abcd', '[direct] out: 1234', '[web1] err: err-part', '[web2] out: next']);
});
