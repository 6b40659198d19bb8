// A fabfile loads through require() alone when it can (no module hooks thread: ~110 ms of every fab run), and
// through import() when it needs it (top-level await ...). Code that imports dynamically gets the hooks first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fab, makeProject } from '../support/fab.ts';

// In a "type": "module" package this file is an ES module: `require` exists only when it was compiled to CommonJS.
const HOW_LOADED = `
import { task } from 'fabts';
const how = typeof require === 'function' ? 'through-require' : 'through-import';
export const loaded = task({ description: how }, async () => console.log('RAN ' + how));
`;

test('an ES module .ts fabfile is listed, shown and run without the module hooks thread; an .mjs one is imported', async () => {
  const dir = makeProject({ 'package.json': '{ "type": "module" }', 'fabfile.ts': HOW_LOADED });
  const list = await fab(['-l'], { cwd: dir });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /loaded\s+through-require/);
  const display = await fab(['-d', 'loaded'], { cwd: dir });
  assert.match(display.stdout, /through-require/);
  const ran = await fab(['loaded'], { cwd: dir });
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /RAN through-require/);
  // An .mjs fabfile is an ES module by name: imported as one.
  const mjs = makeProject({ 'fabfile.mjs': HOW_LOADED });
  const ranMjs = await fab(['-f', 'fabfile.mjs', 'loaded'], { cwd: mjs });
  assert.equal(ranMjs.code, 0, ranMjs.stderr);
  assert.match(ranMjs.stdout, /RAN through-import/);
});

test('dynamic imports of .ts files and of fabts work, from the fabfile and from a helper it requires later', async () => {
  const files = {
    'greet.ts': `export const greet = (): string => 'hello from greet';\n`,
    'helper.ts': `export async function viaHelper(): Promise<string> { const { greet } = await import('./greet.ts'); return 'helper: ' + greet(); }\n`,
  };
  for (const pkg of ['{ "type": "module" }', '{}']) {
    const dir = makeProject({
      ...files,
      'package.json': pkg,
      'fabfile.ts': `
import { task } from 'fabts';
export const direct = task(async () => {
  const { greet } = await import('./greet.ts');
  const { env } = await import('fabts');
  console.log(greet(), typeof env.hosts);
});
`,
    });
    const direct = await fab(['direct'], { cwd: dir });
    assert.equal(direct.code, 0, direct.stderr);
    assert.match(direct.stdout, /hello from greet object/);
  }
  // No dynamic import in the fabfile itself: the helper it requires once the task runs brings the first one.
  const dir = makeProject({
    ...files,
    'fabfile.ts': `import { task } from 'fabts';\nexport const later = task(async () => console.log(await require('./helper.ts').viaHelper()));\n`,
  });
  const later = await fab(['later'], { cwd: dir });
  assert.equal(later.code, 0, later.stderr);
  assert.match(later.stdout, /helper: hello from greet/);
});

test('a fabfile with top-level await falls back to import(), to list it and to run it', async () => {
  const dir = makeProject({
    'package.json': '{ "type": "module" }',
    'fabfile.ts': `import { task } from 'fabts';\nconst hosts = await Promise.resolve(['web1']);\n/** Uses top-level await */\nexport const t = task({ hosts }, async () => {});\nexport const u = task(async () => console.log('RAN after top-level await'));\n`,
  });
  const list = await fab(['-l'], { cwd: dir });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /t\s+Uses top-level await/);
  const ran = await fab(['u'], { cwd: dir });
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /RAN after top-level await/);
});

test('a fabfile that fails to load is reported once, with its line, also when listing', async () => {
  const dir = makeProject({ 'fabfile.ts': `import { task } from 'fabts';\nexport const a = task(async () => {});\nthrow new Error('boom at load');\n` });
  const list = await fab(['-l'], { cwd: dir });
  assert.equal(list.code, 3);
  assert.equal(list.stderr.trim(), 'fab: error: fabfile failed to load at fabfile.ts:3: boom at load');
});
