import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchLength, parseBatchSpec, planBatches } from '../../../src/exec/batches.ts';
import { budgetExceeded, parseFailureBudget } from '../../../src/exec/budget.ts';

const hosts = (count: number) => Array.from({ length: count }, (_, index) => `h${index + 1}`);
const sizes = (spec: string | number | (string | number)[], count: number) => planBatches(hosts(count), parseBatchSpec(spec)).map((batch) => batch.length);

test('a number is hosts per batch; the last batch takes what is left', () => {
  assert.deepEqual(sizes(2, 5), [2, 2, 1]);
  assert.deepEqual(sizes('1', 3), [1, 1, 1]);
  assert.deepEqual(sizes(10, 3), [3], 'a batch larger than the hosts is all of them');
});

test('a percentage is of all the task\'s hosts, rounded up, at least one host', () => {
  assert.deepEqual(sizes('25%', 10), [3, 3, 3, 1], '25% of 10 is 2.5: 3');
  assert.deepEqual(sizes('10%', 4), [1, 1, 1, 1], '10% of 4 is 0.4: at least 1');
  assert.deepEqual(sizes('100%', 7), [7]);
  assert.deepEqual(sizes('50%', 5), [3, 2]);
  assert.equal(batchLength({ percent: 20 }, 10), 2, 'an exact percentage is not rounded up past itself');
  assert.equal(batchLength({ percent: 33.3 }, 3), 1);
});

test('a list runs each size in turn and the last one repeats; the first batch is the canary', () => {
  assert.deepEqual(sizes('1,10%,25%', 20), [1, 2, 5, 5, 5, 2]);
  assert.deepEqual(sizes([1, '50%'], 4), [1, 2, 1]);
  assert.deepEqual(sizes('1,2,3', 2), [1, 1], 'sizes past the hosts are not used');
  assert.deepEqual(planBatches(hosts(5), parseBatchSpec('2,1')), [['h1', 'h2'], ['h3'], ['h4'], ['h5']], 'hosts keep their order');
  assert.deepEqual(planBatches([], parseBatchSpec('1')), []);
});

test('bad batch sizes are usage errors that say what to write', () => {
  for (const bad of ['0', '0%', '150%', '1.5', 'abc', '', '1,,2', '-1', '%']) {
    assert.throws(() => parseBatchSpec(bad), (error: Error & { exitCode?: number }) => error.exitCode === 2 && /e\.g\. --batch 1,10%,25%/.test(error.message), bad);
  }
  assert.throws(() => parseBatchSpec([]), /empty/);
});

test('the failure budget: a count allows that many failed hosts and is exceeded by one more', () => {
  const two = parseFailureBudget('2');
  assert.equal(budgetExceeded(two, 2, 10), false);
  assert.equal(budgetExceeded(two, 3, 10), true);
  assert.equal(budgetExceeded(parseFailureBudget(0), 0, 5), false, '0 with no failure');
  assert.equal(budgetExceeded(parseFailureBudget(0), 1, 5), true, '0 allows none');
});

test('a percentage budget counts failed hosts over the hosts done so far; exceeded means strictly more', () => {
  const tenth = parseFailureBudget('10%');
  assert.equal(budgetExceeded(tenth, 1, 10), false, '1 of 10 is 10%: allowed');
  assert.equal(budgetExceeded(tenth, 1, 9), true, '1 of 9 is over 10%');
  assert.equal(budgetExceeded(tenth, 1, 1), true, 'one host, failed: 100%');
  assert.equal(budgetExceeded(parseFailureBudget('0%'), 1, 100), true);
  const all = parseFailureBudget('100%');
  assert.equal(budgetExceeded(all, 5, 5), false, '100%: a batch where every host failed does not exceed it');
  assert.equal(budgetExceeded(all, 1, 1), false, '100% with one host that failed');
});

test('bad budgets are usage errors', () => {
  for (const bad of ['-1', '101%', 'ten', '1.5', '']) assert.throws(() => parseFailureBudget(bad), (error: Error & { exitCode?: number }) => error.exitCode === 2, bad);
});
