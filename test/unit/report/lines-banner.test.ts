import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { envStore } from '../../../src/env/env.ts';
import { DEFAULTS } from '../../../src/config/schema.ts';
import { hide } from '../../../src/env/scopes.ts';
import { EventBus } from '../../../src/report/events.ts';
import { LineReporter } from '../../../src/report/lines.ts';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

test('a login banner goes to stderr, a line per line with its host, unless status is hidden', async () => {
  envStore.reset();
  envStore.setLayer('defaults', { ...DEFAULTS }, 'defaults');
  const out = new PassThrough();
  const err = new PassThrough();
  const [stdout, stderr] = [collect(out), collect(err)];
  const bus = new EventBus();
  new LineReporter(out, err, false).attach(bus);
  bus.emit({ kind: 'banner', host: 'web1', message: 'Authorized use only.\nAll activity is logged.\n' });
  await hide('status', async () => bus.emit({ kind: 'banner', host: 'web2', message: 'hidden\n' }));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stdout(), '');
  assert.equal(stderr(), '[web1] Authorized use only.\n[web1] All activity is logged.\n');
});
