import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { EventBus } from '../../../src/report/events.ts';
import { EventsWriter, eventRecord } from '../../../src/report/events-writer.ts';

test('an output event is written as text without its Buffer; a command-end as its exit status, not its output', () => {
  assert.deepEqual(eventRecord({ kind: 'output', host: 'web1', stream: 'stdout', text: 'hi\n', bytes: Buffer.from('hi\n'), hidden: false }), {
    kind: 'output', host: 'web1', stream: 'stdout', text: 'hi\n', hidden: false,
  });
  const result = { host: 'web1', command: 'false', stdout: 'SECRET-OUTPUT', stderr: '', code: 1, signal: null, ok: false, failed: true, durationMs: 12.4, dryRun: false };
  const record = eventRecord({ kind: 'command-end', host: 'web1', runner: 'run', result: result as never });
  assert.deepEqual(record, { kind: 'command-end', host: 'web1', runner: 'run', command: 'false', exitCode: 1, signal: null, ok: false, durationMs: 12, dryRun: false });
});

test('run-start carries the targets with secret settings as ***; run-end the exit code and the --json summary', () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk));
  const bus = new EventBus();
  const writer = EventsWriter.toStream(out);
  writer.setMeta({ hosts: ['web1'], options: { password: 'hunter2', sudoPassword: undefined, parallel: true } });
  writer.attach(bus);
  bus.emit({ kind: 'run-start', tasks: ['deploy'] });
  bus.emit({ kind: 'answer', host: 'web1', pattern: '/Password:/', answer: '***', secret: true });
  bus.emit({ kind: 'run-end', exitCode: 0 });
  const lines = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[0]!.options, { password: '***', parallel: true });
  assert.deepEqual(lines[0]!.hosts, ['web1']);
  assert.ok(!text.includes('hunter2'));
  assert.equal((lines[2]!.summary as { exitCode: number }).exitCode, 0);
  writer.fail(2, new Error('late'));
  assert.equal(text.trim().split('\n').length, 3, 'no second run-end after the run ended');
});
