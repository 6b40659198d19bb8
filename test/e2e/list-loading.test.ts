// `fab -l` and `fab -d` load the fabfile through require() alone when they can (no module hooks thread: ~45 ms of
// start-up), and fall back to import() when the fabfile needs it. Running a task always imports it as it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fab, makeProject } from '../support/fab.ts';

// In a "type": "module" package this file is an ES module: `require` exists only when it was compiled to CommonJS.
const HOW_LOADED = `
import { task } from 'fabts';
const how = typeof require === 'function' ? 'through-require' : 'through-import';
export const loaded = task({ description: how }, async () => console.log('RAN ' + how));
`;

test('fab -l and fab -d list an ES module fabfile without the module hooks thread; running it imports it', async () => {
  const dir = makeProject({ 'package.json': '{ "type": "module" }', 'fabfile.ts': HOW_LOADED });
  const list = await fab(['-l'], { cwd: dir });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /loaded\s+through-require/);
  const display = await fab(['-d', 'loaded'], { cwd: dir });
  assert.match(display.stdout, /through-require/);
  const ran = await fab(['loaded'], { cwd: dir });
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /RAN through-import/);
});

test('fab -l falls back to import() for a fabfile with top-level await', async () => {
  const dir = makeProject({
    'package.json': '{ "type": "module" }',
    'fabfile.ts': `import { task } from 'fabts';\nconst hosts = await Promise.resolve(['web1']);\n/** Uses top-level await */\nexport const t = task({ hosts }, async () => {});\n`,
  });
  const list = await fab(['-l'], { cwd: dir });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /t\s+Uses top-level await/);
});

test('a fabfile that fails to load is reported once, with its line, also when listing', async () => {
  const dir = makeProject({ 'fabfile.ts': `import { task } from 'fabts';\nexport const a = task(async () => {});\nthrow new Error('boom at load');\n` });
  const list = await fab(['-l'], { cwd: dir });
  assert.equal(list.code, 3);
  assert.equal(list.stderr.trim(), 'fab: error: fabfile failed to load at fabfile.ts:3: boom at load');
});
