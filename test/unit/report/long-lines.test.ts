// Output with endless lines or raw bytes: the line reporter and the --log-dir logs hold at most one piece of a
// line, and the logs keep every byte (read back by the rule docs/execution.md gives).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { Result } from '../../../src/ops/command/result.ts';
import { EventBus } from '../../../src/report/events.ts';
import { LINE_PIECE, LineReporter } from '../../../src/report/lines.ts';
import { LOG_LINE_PIECE, LogDirReporter } from '../../../src/report/logfile.ts';
import { commandOutput } from '../../support/logs.ts';

const end = (command: string) => ({ kind: 'command-end' as const, host: 'web1', runner: 'run' as const, result: new Result({ host: 'web1', command, stdout: '', stderr: '', code: 0, durationMs: 1, ok: true }) });

test('the line reporter prints an endless line in pieces as it comes, never holding more than one piece', () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk));
  const bus = new EventBus();
  const reporter = new LineReporter(out, new PassThrough(), false);
  reporter.attach(bus);
  const chunk = 'a'.repeat(10_000);
  for (let i = 0; i < 30; i++) bus.emit({ kind: 'output', host: 'web1', stream: 'stdout', text: chunk, bytes: Buffer.from(chunk), hidden: false });
  const held = (reporter as unknown as { partial: Map<string, string> }).partial.get('web1\u0000stdout')!;
  assert.ok(held.length < LINE_PIECE, `holds ${held.length} characters`);
  bus.emit({ kind: 'output', host: 'web1', stream: 'stdout', text: 'end\n', bytes: Buffer.from('end\n'), hidden: false });
  const lines = text.split('\n').filter(Boolean);
  assert.deepEqual(lines.map((line) => line.length - '[web1] out: '.length), [LINE_PIECE, LINE_PIECE, LINE_PIECE, LINE_PIECE, 300_000 - 4 * LINE_PIECE + 3]);
});

test('--log-dir keeps every byte: raw bytes, \\r, endless lines in pieces, and output without a final newline', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-log-unit-'));
  const logs = new LogDirReporter(dir);
  const bus = new EventBus();
  logs.attach(bus);
  const output = Buffer.concat([randomBytes(300_000), Buffer.from('\r\n\n'), Buffer.alloc(3 * LOG_LINE_PIECE + 5, 0x61), Buffer.from('\nlast, unfinished \xff')]);
  bus.emit({ kind: 'command', host: 'web1', runner: 'run', command: 'produce', hidden: false });
  for (let at = 0; at < output.length; at += 7919) {
    const bytes = output.subarray(at, at + 7919);
    bus.emit({ kind: 'output', host: 'web1', stream: 'stdout', text: bytes.toString('latin1'), bytes, hidden: false });
    const held = (logs as unknown as { partial: Map<string, Buffer> }).partial.get('web1\u0000stdout')!;
    assert.ok(held.length < LOG_LINE_PIECE, `holds ${held.length} bytes`);
  }
  bus.emit(end('produce'));
  logs.close();
  const log = fs.readFileSync(path.join(dir, 'web1.log'));
  assert.ok(commandOutput(log, 'produce').equals(output), 'the output read back from the log is byte for byte what was printed');
  assert.equal(fs.statSync(path.join(dir, 'web1.log')).mode & 0o777, 0o600);
  fs.rmSync(dir, { recursive: true, force: true });
});
