import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatFailures, tapFailures } from '../../support/tap-failures.ts';

const dir = mkdtempSync(join(tmpdir(), 'fabts-tap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** node --test's own TAP for a test file holding `source`. */
function tapOf(source: string): string {
  const file = join(dir, `case${Math.random().toString(36).slice(2)}.test.mjs`);
  writeFileSync(file, `import { describe, test } from 'node:test';\nimport assert from 'node:assert/strict';\n${source}\n`);
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // this file runs under node --test itself
  return spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8', env }).stdout;
}

test('a failed test inside suites is named by its suites, with its assertion diff; the suites themselves are left out', () => {
  const tap = tapOf(`
describe('outer', () => {
  describe('inner', () => {
    test('leaf', () => assert.deepEqual({ files: ['a', 'b'] }, { files: ['a', 'c'] }, "resolving web1 differs"));
    test('fine', () => {});
  });
});
test('top', () => { throw new Error("it's broken\\nsecond line"); });
test('also fine', () => {});`);
  const failures = tapFailures(tap);
  assert.deepEqual(failures.map((f) => f.name), ['outer > inner > leaf', 'top']);
  assert.match(failures[0]!.error, /^resolving web1 differs\n/);
  assert.match(failures[0]!.error, /\+ {4,}'b'/);
  assert.match(failures[0]!.error, /- {4,}'c'/);
  assert.match(failures[0]!.location ?? '', /case.*\.test\.mjs:6:/);
  assert.equal(failures[1]!.error, "it's broken\nsecond line");
});

test('a one-line error and a passing report', () => {
  const failures = tapFailures(tapOf(`test('quoted', () => { throw new Error("don't"); });`));
  assert.deepEqual(failures.map((f) => [f.name, f.error]), [['quoted', "don't"]]);
  assert.deepEqual(tapFailures(tapOf(`test('ok', () => {});`)), []);
});

test('the recap cuts long errors', () => {
  const text = formatFailures([{ name: 'a > b', location: 'x.ts:1:1', error: Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') }], 3);
  assert.equal(text, '✖ a > b  (x.ts:1:1)\n    line 0\n    line 1\n    line 2\n    … 47 more lines');
});
