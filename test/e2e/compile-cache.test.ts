import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fab, makeProject } from '../support/fab.ts';

// The compile cache (src/cli/compile-cache.ts) holds V8's code for the CommonJS modules fab loads from node_modules:
// its own dependencies (cosmiconfig reads the project's fab.config.mjs here) and the fabfile's. A CommonJS package
// calling import() must still work when compiled through the cache.
const FILES = {
  'fab.config.mjs': "export default { level: 'from-mjs' };\n",
  'node_modules/dyn/package.json': JSON.stringify({ name: 'dyn', main: 'index.js' }),
  'node_modules/dyn/index.js': "module.exports = async () => (await import('./answer.mjs')).answer;\n",
  'node_modules/dyn/answer.mjs': 'export const answer = 42;\n',
  'fabfile.ts':
    "import { env } from 'fabts';\nimport dyn from 'dyn';\n" +
    "export async function show() { console.log('LEVEL=' + env.level + ' DYN=' + (await dyn())); }\n",
};

function entries(cacheHome: string): Map<string, { ino: number; mtimeMs: number }> {
  const found = new Map<string, { ino: number; mtimeMs: number }>();
  const root = join(cacheHome, 'fabts');
  if (!existsSync(root)) return found;
  for (const version of readdirSync(root)) {
    for (const name of readdirSync(join(root, version))) {
      const st = statSync(join(root, version, name));
      found.set(join(version, name), { ino: st.ino, mtimeMs: st.mtimeMs });
    }
  }
  return found;
}

test('compile cache: written by the first run, used as it is by the next, rebuilt when damaged, off with FABTS_COMPILE_CACHE=0', async () => {
  const project = makeProject(FILES);
  const cacheHome = join(project, 'cache');
  const env = { XDG_CACHE_HOME: cacheHome };

  let out = await fab(['show'], { cwd: project, env });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /LEVEL=from-mjs DYN=42/);
  const first = entries(cacheHome);
  assert.ok(first.size >= 3, `entries for cosmiconfig's modules and more: ${[...first.keys()].join(' ')}`);
  assert.ok([...first.keys()].every((name) => /^v8-[^/]+\/[0-9a-f]{40}\.bin$/.test(name)), [...first.keys()].join(' '));

  // Accepted entries are not written again (a refused one would be replaced under a new inode).
  out = await fab(['show'], { cwd: project, env });
  assert.match(out.stdout, /LEVEL=from-mjs DYN=42/, out.stderr);
  assert.deepEqual(entries(cacheHome), first);

  // Garbage in an entry: V8 refuses it, the module compiles from source, and the entry is written anew.
  const [damaged] = [...first.keys()];
  writeFileSync(join(cacheHome, 'fabts', damaged!), 'not V8 code cache data');
  const damagedIno = statSync(join(cacheHome, 'fabts', damaged!)).ino;
  out = await fab(['show'], { cwd: project, env });
  assert.match(out.stdout, /LEVEL=from-mjs DYN=42/, out.stderr);
  const after = entries(cacheHome);
  assert.equal(after.size, first.size);
  assert.notEqual(after.get(damaged!)!.ino, damagedIno, 'the damaged entry was replaced');
  assert.ok(statSync(join(cacheHome, 'fabts', damaged!)).size > 100);

  const offHome = join(project, 'off-cache');
  out = await fab(['show'], { cwd: project, env: { XDG_CACHE_HOME: offHome, FABTS_COMPILE_CACHE: '0' } });
  assert.match(out.stdout, /LEVEL=from-mjs DYN=42/, out.stderr);
  assert.equal(existsSync(offHome), false);
});
