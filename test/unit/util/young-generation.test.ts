// A run over many hosts keeps V8's young generation at its first size (src/util/young-generation.ts); a run over
// few lets it grow as usual. Each case runs in a fresh process: the flag is process-wide and sticks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const SCRIPT = `
import { getHeapSpaceStatistics } from 'node:v8';
import { execute } from './src/index.ts';
const newSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size;
const hosts = Array.from({ length: Number(process.argv[1]) }, (_, i) => 'user@host' + i);
await execute(async () => {}, { hosts });
const before = newSpace();
// A burst of short-lived allocation, as hundreds of handshakes make.
let keep = 0;
for (let i = 0; i < 2e6; i++) keep += [i, { i }, 'x' + i].length;
console.log(JSON.stringify({ before, after: newSpace(), keep }));
`;

function newSpaceAfterBurst(hosts: number): { before: number; after: number } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, String(hosts)], { encoding: 'utf8', cwd: new URL('../../..', import.meta.url).pathname });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

test('over many hosts the young generation keeps its size through a burst of allocation; over few it grows', () => {
  const many = newSpaceAfterBurst(40);
  assert.ok(many.after <= many.before, `new space grew from ${many.before} to ${many.after} bytes`);
  const few = newSpaceAfterBurst(2);
  assert.ok(few.after > few.before, `new space stayed at ${few.before} bytes over 2 hosts`);
});
