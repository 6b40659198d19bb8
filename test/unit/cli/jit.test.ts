// fab keeps V8's optimizing compiler off for its first seconds, then turns it on (src/cli/jit.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

// %GetOptimizationStatus bit 4 (16): the function runs optimized (TurboFan) code.
const SCRIPT = `
import { deferOptimizingCompiler } from './src/cli/jit.ts';
deferOptimizingCompiler(300);
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s; }
const optimized = () => (%GetOptimizationStatus(hot) & 16) !== 0;
for (let i = 0; i < 3000; i++) hot(1000);
const early = optimized();
await new Promise((resolve) => setTimeout(resolve, 400));
for (let i = 0; i < 3000 && !optimized(); i++) hot(1000);
console.log(JSON.stringify({ early, later: optimized() }));
`;

test('hot code stays unoptimized in the first moments of a fab, and is optimized once the delay has passed', () => {
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
    cwd: new URL('../../..', import.meta.url).pathname,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').pop()!), { early: false, later: true });
});
