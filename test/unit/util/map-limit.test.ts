import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pendingCleanups, registerCleanup, runCleanups } from '../../../src/util/cleanup.ts';
import { mapLimit } from '../../../src/util/map-limit.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

test('mapLimit keeps order and never runs more than the limit at once', async () => {
  let running = 0;
  let most = 0;
  const results = await mapLimit([5, 4, 3, 2, 1, 0], 2, async (n, index) => {
    running++;
    most = Math.max(most, running);
    for (let i = 0; i < n; i++) await tick();
    running--;
    return `${index}:${n}`;
  });
  assert.deepEqual(results, ['0:5', '1:4', '2:3', '3:2', '4:1', '5:0']);
  assert.equal(most, 2);
});

test('after a failure mapLimit starts nothing new, lets the running ones finish, then throws the failure', async () => {
  const started: number[] = [];
  const finished: number[] = [];
  await assert.rejects(
    mapLimit([0, 1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      if (n === 0) throw new Error('first fails');
      await tick();
      finished.push(n);
      return n;
    }),
    /first fails/,
  );
  assert.deepEqual(started, [0, 1], 'item 2 never started');
  assert.deepEqual(finished, [1], 'item 1, already running, finished');
});

test('cleanups run once on demand; a finished task unregisters its own; a hung one cannot hold the exit', async () => {
  const ran: string[] = [];
  const done = registerCleanup(() => void ran.push('finished task'));
  registerCleanup(() => void ran.push('interrupted upload'));
  registerCleanup(() => new Promise(() => {}));
  done();
  assert.equal(pendingCleanups(), 2);
  const started = Date.now();
  await runCleanups(200);
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(ran, ['interrupted upload']);
  assert.equal(pendingCleanups(), 0);
  await runCleanups();
  assert.deepEqual(ran, ['interrupted upload'], 'nothing runs twice');
});
