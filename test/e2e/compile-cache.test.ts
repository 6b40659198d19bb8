import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fab, makeProject } from '../support/fab.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// The compile cache (src/cli/compile-cache.ts) holds V8's code for the CommonJS modules fab loads from node_modules:
// its own dependencies (cosmiconfig reads the project's fab.config.mjs here) and the fabfile's. A CommonJS package
// calling import() must still work when compiled through the cache.
const THROWER = "module.exports = () => { throw new Error('boom'); };\n";
// Where a stack trace must point: line 1, the column of `new Error` (the wrapper Node.js adds shifts nothing).
const THROWN_AT = `1:${THROWER.indexOf('new Error') + 1}`;
const OUTPUT = new RegExp(`LEVEL=from-mjs DYN=42 AT=${THROWN_AT}`);
const FILES = {
  'fab.config.mjs': "export default { level: 'from-mjs' };\n",
  'node_modules/dyn/package.json': JSON.stringify({ name: 'dyn', main: 'index.js' }),
  'node_modules/dyn/index.js': "module.exports = async () => (await import('./answer.mjs')).answer;\n",
  'node_modules/dyn/answer.mjs': 'export const answer = 42;\n',
  'node_modules/thrower/package.json': JSON.stringify({ name: 'thrower', main: 'index.js' }),
  'node_modules/thrower/index.js': THROWER,
  'fabfile.ts':
    "import { env } from 'fabts';\nimport dyn from 'dyn';\nimport thrower from 'thrower';\n" +
    'export async function show() {\n' +
    "  let at = '';\n" +
    "  try { thrower(); } catch (e) { at = /index\\.js:(\\d+:\\d+)/.exec(String((e as Error).stack))?.[1] ?? 'none'; }\n" +
    "  console.log('LEVEL=' + env.level + ' DYN=' + (await dyn()) + ' AT=' + at);\n" +
    '}\n',
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
  assert.match(out.stdout, OUTPUT);
  const first = entries(cacheHome);
  assert.ok(first.size >= 3, `entries for cosmiconfig's modules and more: ${[...first.keys()].join(' ')}`);
  assert.ok([...first.keys()].every((name) => /^v8-[^/]+\/[0-9a-f]{40}\.bin$/.test(name)), [...first.keys()].join(' '));

  // Accepted entries are not written again (a refused one would be replaced under a new inode).
  out = await fab(['show'], { cwd: project, env });
  assert.match(out.stdout, OUTPUT, out.stderr);
  assert.deepEqual(entries(cacheHome), first);

  // Damage inside an entry's data (past the header V8 checks: V8 itself would crash on it): the checksum refuses
  // the entry, the module compiles from source, and the entry is written anew.
  const size = (name: string) => statSync(join(cacheHome, 'fabts', name)).size;
  const damaged = [...first.keys()].sort((a, b) => size(b) - size(a))[0];
  const bytes = readFileSync(join(cacheHome, 'fabts', damaged!));
  bytes.fill(0xaa, bytes.length >> 1, (bytes.length >> 1) + 64);
  writeFileSync(join(cacheHome, 'fabts', damaged!), bytes);
  const damagedIno = statSync(join(cacheHome, 'fabts', damaged!)).ino;
  out = await fab(['show'], { cwd: project, env });
  assert.match(out.stdout, OUTPUT, out.stderr);
  const after = entries(cacheHome);
  assert.equal(after.size, first.size);
  assert.notEqual(after.get(damaged!)!.ino, damagedIno, 'the damaged entry was replaced');
  assert.ok(statSync(join(cacheHome, 'fabts', damaged!)).size > 100);

  // A cache directory others may write to is not used.
  const shared = join(project, 'shared-cache');
  mkdirSync(join(shared, 'fabts', [...first.keys()][0]!.split('/')[0]!), { recursive: true });
  chmodSync(join(shared, 'fabts', [...first.keys()][0]!.split('/')[0]!), 0o777);
  out = await fab(['show'], { cwd: project, env: { XDG_CACHE_HOME: shared } });
  assert.match(out.stdout, OUTPUT, out.stderr);
  assert.equal(entries(shared).size, 0);

  const offHome = join(project, 'off-cache');
  out = await fab(['show'], { cwd: project, env: { XDG_CACHE_HOME: offHome, FABTS_COMPILE_CACHE: '0' } });
  assert.match(out.stdout, OUTPUT, out.stderr);
  assert.equal(existsSync(offHome), false);
});

// A run that outlives the optimizing compiler's 10 s pause (src/cli/jit.ts) writes its entries with the flags its
// modules were compiled under; a run over many hosts (src/util/young-generation.ts) has entries of its own.
const FLAGS_SCRIPT = `
import { createRequire } from 'node:module';
const { enableCompileCache } = await import(${JSON.stringify(join(REPO, 'dist/cli/compile-cache.js'))});
const { setV8Flag } = await import(${JSON.stringify(join(REPO, 'dist/util/v8-flags.js'))});
const [dir, before, after] = process.argv.slice(2);
setV8Flag('--no-turbofan');
if (before) setV8Flag(before);
const stats = enableCompileCache({ dir });
createRequire(${JSON.stringify(join(REPO, 'package.json'))})('ssh2/lib/client.js');
if (after) setV8Flag(after);
console.log(JSON.stringify(stats));
`;

test('compile cache: entries stay usable across the V8 flags fab sets at run time', () => {
  const project = makeProject({ 'flags.mjs': FLAGS_SCRIPT });
  const dir = join(project, 'cache');
  const run = (before = '', after = '') =>
    JSON.parse(execFileSync(process.execPath, [join(project, 'flags.mjs'), dir, before, after], { encoding: 'utf8' })) as { hits: number; misses: number };

  const long = run('', '--turbofan');
  assert.ok(long.misses > 10 && long.hits === 0, JSON.stringify(long));
  assert.deepEqual(run(), { hits: long.misses, misses: 0 }, 'a short run uses what a long one wrote');
  assert.deepEqual(run('', '--turbofan'), { hits: long.misses, misses: 0 });

  assert.deepEqual(run('--semi-space-growth-factor=1'), { hits: 0, misses: long.misses }, 'many hosts: other flags, other entries');
  assert.deepEqual(run('--semi-space-growth-factor=1', '--turbofan'), { hits: long.misses, misses: 0 });
  assert.deepEqual(run(), { hits: long.misses, misses: 0 }, 'and the entries of runs over few hosts are still there');
});
