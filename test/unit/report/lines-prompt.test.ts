import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { EventBus } from '../../../src/report/events.ts';
import { LineReporter } from '../../../src/report/lines.ts';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

test('output from other hosts waits while a question has the terminal, then prints in order', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  const [stdout, stderr] = [collect(out), collect(err)];
  const bus = new EventBus();
  new LineReporter(out, err, false).attach(bus);
  bus.emit({ kind: 'prompt', host: 'web1', state: 'start' });
  bus.emit({ kind: 'output', host: 'web2', stream: 'stdout', text: 'deploying\n', bytes: Buffer.from('deploying\n'), hidden: false });
  bus.emit({ kind: 'warning', host: 'web2', message: 'disk almost full' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stdout() + stderr(), '', 'nothing is written into the question');
  bus.emit({ kind: 'prompt', host: 'web1', state: 'end' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stdout(), '[web2] out: deploying\n');
  assert.equal(stderr(), '[web2] Warning: disk almost full\n');
  bus.emit({ kind: 'output', host: 'web2', stream: 'stdout', text: 'done\n', bytes: Buffer.from('done\n'), hidden: false });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stdout(), '[web2] out: deploying\n[web2] out: done\n', 'printed at once again afterwards');
});
