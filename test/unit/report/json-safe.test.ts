import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonSafe } from '../../../src/report/json-safe.ts';
import { Result } from '../../../src/ops/command/result.ts';

test('jsonSafe turns any task return value into something JSON.stringify writes faithfully', () => {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const shared = { n: 1 };
  const value = {
    result: new Result({ host: 'web1', command: 'hostname', stdout: 'web1\n', stderr: '', code: 0, durationMs: 3.4, ok: true }),
    big: 10n ** 20n,
    nan: Number.NaN,
    when: new Date('2024-01-02T03:04:05Z'),
    error: Object.assign(new Error('bad'), { code: 'E_BAD' }),
    bytes: Buffer.from([0xff, 0x00]),
    map: new Map([['a', 1]]),
    set: new Set([1, 2]),
    list: [1, undefined, () => 1],
    fn: () => 1,
    missing: undefined,
    cyclic,
    twice: [shared, shared],
  };
  const safe = JSON.parse(JSON.stringify(jsonSafe(value)));
  assert.equal(safe.result.stdout, 'web1\n');
  assert.equal(safe.result.code, 0);
  assert.equal(safe.big, '100000000000000000000');
  assert.equal(safe.nan, 'NaN');
  assert.equal(safe.when, '2024-01-02T03:04:05.000Z');
  assert.deepEqual(safe.error, { name: 'Error', message: 'bad', code: 'E_BAD' });
  assert.deepEqual(safe.bytes, { base64: '/wA=' });
  assert.deepEqual(safe.map, { a: 1 });
  assert.deepEqual(safe.set, [1, 2]);
  assert.deepEqual(safe.list, [1, null, null]);
  assert.ok(!('fn' in safe) && !('missing' in safe));
  assert.equal(safe.cyclic.self, '[Circular]');
  assert.deepEqual(safe.twice, [{ n: 1 }, { n: 1 }], 'a value seen twice is not a cycle');
  assert.equal(jsonSafe(undefined), undefined);
});
