import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { TransferProgress } from '../../../src/ops/transfer/progress.ts';
import { EventBus, events, type FabEvent } from '../../../src/report/events.ts';
import { LineReporter } from '../../../src/report/lines.ts';

function reporter() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk));
  let now = 0;
  const lines = new LineReporter(out, new PassThrough(), false, () => now);
  const bus = new EventBus();
  lines.attach(bus);
  return { bus, advance: (ms: number) => (now += ms), text: () => text };
}

const MiB = 1048576;
const transfer = (bytes: number, done = false, extra: Partial<FabEvent> = {}): FabEvent =>
  ({ kind: 'transfer', host: 'web1', direction: 'put', local: 'big.bin', remote: '/srv/big.bin', bytes, total: 100 * MiB, done, ...extra }) as FabEvent;

test('a long transfer prints a percent line at most once a second, then its final line', () => {
  const { bus, advance, text } = reporter();
  bus.emit(transfer(0));
  for (let i = 1; i <= 25; i++) {
    advance(200);
    bus.emit(transfer(i * 4 * MiB));
  }
  bus.emit(transfer(100 * MiB, true));
  assert.equal(
    text(),
    [
      '[web1] put: big.bin -> /srv/big.bin 20% (20 MiB of 100 MiB)',
      '[web1] put: big.bin -> /srv/big.bin 40% (40 MiB of 100 MiB)',
      '[web1] put: big.bin -> /srv/big.bin 60% (60 MiB of 100 MiB)',
      '[web1] put: big.bin -> /srv/big.bin 80% (80 MiB of 100 MiB)',
      '[web1] put: big.bin -> /srv/big.bin 100% (100 MiB of 100 MiB)',
      '[web1] put: big.bin -> /srv/big.bin',
      '',
    ].join('\n'),
  );
});

test('a short transfer prints only its final line; a failed one none (the task failure says it)', () => {
  const { bus, advance, text } = reporter();
  bus.emit(transfer(0));
  advance(500);
  bus.emit(transfer(50 * MiB));
  bus.emit(transfer(100 * MiB, true));
  bus.emit(transfer(0, false, { remote: '/srv/other' }));
  advance(1500);
  bus.emit(transfer(0, true, { remote: '/srv/other', error: 'permission denied' }));
  assert.equal(text(), '[web1] put: big.bin -> /srv/big.bin\n');
});

test('a get line reads remote -> local; an unknown total shows the bytes so far', () => {
  const { bus, advance, text } = reporter();
  const get = { direction: 'get', local: 'web1/x', remote: '/x', total: -1 } as Partial<FabEvent>;
  bus.emit(transfer(0, false, get));
  advance(1000);
  bus.emit(transfer(3 * MiB, false, get));
  assert.equal(text(), '[web1] get: /x -> web1/x 3.0 MiB\n');
});

test('TransferProgress emits a start, then at most every 200 ms, then done with the final size', () => {
  const seen: FabEvent[] = [];
  const stop = events.subscribe((event) => seen.push(event));
  let now = 0;
  const progress = new TransferProgress({ host: 'h', direction: 'put', local: 'a', remote: 'b' }, 1000, () => now);
  progress.start();
  for (let i = 1; i <= 100; i++) {
    now += 10;
    progress.update(i * 10);
  }
  progress.finish(1000);
  stop();
  const bytes = seen.map((event) => (event.kind === 'transfer' ? [event.bytes, event.done] : []));
  assert.deepEqual(bytes, [[0, false], [200, false], [400, false], [600, false], [800, false], [1000, false], [1000, true]]);
});
