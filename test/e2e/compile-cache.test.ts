import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
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
  assert.ok([...first.keys()].every((name) => /^v8-[^/]+\/[0-9a-f]{64}\.bin$/.test(name)), [...first.keys()].join(' '));

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

// Poisoning (issue 12, item 3). V8 checks a code cache entry against its source's length only: data compiled from
// other code of the same length runs in place of the module. An entry must be bound to the exact text it was made
// from, and come from a directory no other user could have touched, from the cache root down.
const GOOD = "module.exports = () => 'good!';\n";
const EVIL = "module.exports = () => 'evil!';\n";
const VICTIM_FABFILE =
  "import fs from 'node:fs';\nimport { createRequire } from 'node:module';\n" +
  'export async function show() {\n' +
  // Under test, the task waits for a go-ahead before it loads the module: the window between fab's start (where the
  // cache directory is checked) and a module's first use, which in real runs lasts as long as a task does.
  "  if (process.env.GO_FILE) { fs.writeFileSync(process.env.READY_FILE, ''); while (!fs.existsSync(process.env.GO_FILE)) await new Promise((r) => setTimeout(r, 20)); }\n" +
  "  console.log('VICTIM=' + createRequire(import.meta.url)('victim')());\n" +
  '}\n' +
  'export function noop() {}\n';

/**
 * Entries for GOOD and EVIL made by fab itself in a cache of root's, found by what each run added: returns the
 * path of GOOD's entry, EVIL's entry, and the cache's version directory name.
 */
async function victimEntries(project: string, cacheHome: string): Promise<{ good: string; evil: string; version: string }> {
  const victim = join(project, 'node_modules/victim/index.js');
  const env = { XDG_CACHE_HOME: cacheHome };
  writeFileSync(victim, GOOD);
  assert.equal((await fab(['noop'], { cwd: project, env })).code, 0);
  const base = new Set(entries(cacheHome).keys());
  let out = await fab(['show'], { cwd: project, env });
  assert.match(out.stdout, /VICTIM=good!/, out.stderr);
  const good = [...entries(cacheHome).keys()].filter((name) => !base.has(name));
  writeFileSync(victim, EVIL);
  out = await fab(['show'], { cwd: project, env });
  assert.match(out.stdout, /VICTIM=evil!/, out.stderr);
  const evil = [...entries(cacheHome).keys()].filter((name) => !base.has(name) && !good.includes(name));
  writeFileSync(victim, GOOD);
  assert.equal(good.length, 1, `one entry for the module: ${good.join(' ')}`);
  assert.equal(evil.length, 1, `one entry for the module: ${evil.join(' ')}`);
  return { good: join(cacheHome, 'fabts', good[0]!), evil: join(cacheHome, 'fabts', evil[0]!), version: good[0]!.split('/')[0]! };
}

/**
 * What an attacker who can write an entry puts at GOOD's name: EVIL's compiled code, with whatever binds it made to
 * say GOOD. Both layouts are open source: a SHA-1 of the data then the data (before this fix); a SHA-256 of the
 * source key, a SHA-256 of the data, then the data (after).
 */
function forged(goodEntry: Buffer, evilEntry: Buffer): Buffer {
  const sha1 = (data: Buffer) => createHash('sha1').update(data).digest();
  if (sha1(evilEntry.subarray(20)).equals(evilEntry.subarray(0, 20))) return evilEntry;
  const data = evilEntry.subarray(64);
  return Buffer.concat([goodEntry.subarray(0, 32), createHash('sha256').update(data).digest(), data]);
}

test('compile cache: an entry made from other code of the same length is refused (each entry is bound to its source text)', async () => {
  const project = makeProject({ 'fabfile.mjs': VICTIM_FABFILE, 'node_modules/victim/package.json': JSON.stringify({ name: 'victim' }) });
  const cacheHome = join(project, 'cache');
  const { good, evil } = await victimEntries(project, cacheHome);
  // The other code's entry, moved to this code's name (a cache copied from elsewhere, or written before the fix).
  writeFileSync(good, readFileSync(evil));
  const out = await fab(['show'], { cwd: project, env: { XDG_CACHE_HOME: cacheHome } });
  assert.match(out.stdout, /VICTIM=good!/, out.stderr);
});

test('compile cache: off under a home another user owns (sudo -E fab), so that user cannot swap entries in while fab runs', async () => {
  const project = makeProject({ 'fabfile.mjs': VICTIM_FABFILE, 'node_modules/victim/package.json': JSON.stringify({ name: 'victim' }) });
  chmodSync(project, 0o755);
  const { good, evil, version } = await victimEntries(project, join(project, 'cache'));
  const forgery = join(project, 'forged.bin');
  writeFileSync(forgery, forged(readFileSync(good), readFileSync(evil)), { mode: 0o644 });

  // The user's home, where root runs with HOME kept.
  const home = join(project, 'home');
  mkdirSync(home, { mode: 0o755 });
  chownSync(home, 65534, 65534);
  const ready = join(project, 'ready');
  const go = join(project, 'go');
  const run = fab(['show'], { cwd: project, env: { HOME: home, READY_FILE: ready, GO_FILE: go } });
  while (!existsSync(ready)) await new Promise((resolve) => setTimeout(resolve, 20));
  // The home's owner swaps the cache for one of their own while fab runs.
  const swap = `mv ${home}/.cache ${home}/.cache-old 2>/dev/null; mkdir -p ${home}/.cache/fabts/${version} && cp ${forgery} ${home}/.cache/fabts/${version}/${basename(good)}`;
  const done = spawnSync('runuser', ['-u', 'nobody', '--', 'sh', '-c', swap], { encoding: 'utf8' });
  assert.equal(done.status, 0, done.stderr);
  writeFileSync(go, '');
  const out = await run;
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /VICTIM=good!/);
  assert.equal(existsSync(join(home, '.cache-old')), false, 'fab made no cache directory of root\'s in the home');
});
