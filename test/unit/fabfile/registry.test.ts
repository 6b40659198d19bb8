import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFabfile } from '../../../src/fabfile/load.ts';
import { discoverFabfile } from '../../../src/fabfile/discover.ts';
import { docComments } from '../../../src/fabfile/docs.ts';
import { env, envStore } from '../../../src/env/env.ts';
import * as self from '../../../src/index.ts';
import { LoadError, UsageError } from '../../../src/errors.ts';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fabts-registry-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const FABFILE = `
import { task, env } from 'fabts';
env.branch = 'main';

/** Show local and remote host info
 *
 * @remarks not part of the description
 */
export async function info() {}

export const deploy = task({ description: 'Ship a build', aliases: ['ship'], roles: ['web'], parallel: 3 }, async ({ branch = 'main', force }) => branch);

/** Migrate the database */
const migrate = task(async () => 'migrated');
export const db = { migrate, status: task({ default: true }, async () => 'ok'), _secret: () => 1 };

export function _helper() {}
export const notATask = 42;
export default deploy;
`;

test('exported functions, task() wrappers and namespaces become tasks; _private names do not', async () => {
  const dir = project({ 'fabfile.ts': FABFILE });
  const { registry } = await loadFabfile(join(dir, 'fabfile.ts'));
  assert.deepEqual(registry.names().sort(), ['db.migrate', 'db.status', 'deploy', 'info']);
  assert.equal(registry.defaultTask, 'deploy', 'export default of a named task makes it the default, not a second task');
  assert.equal(registry.find('ship')?.name, 'deploy');
  assert.equal(registry.find('db')?.name, 'db.status', 'a namespace name runs its default task');
  assert.equal(registry.find('info')?.description, 'Show local and remote host info');
  assert.equal(registry.find('db.migrate')?.description, 'Migrate the database');
  assert.equal(registry.find('deploy')?.description, 'Ship a build');
  assert.equal(registry.find('deploy')?.params, 'branch = "main", force');
  assert.equal(await registry.find('deploy')!.fn({ _: [], branch: 'dev' }), 'dev');
});

test("import from 'fabts' is this very module instance: one env, no node_modules needed", async () => {
  const dir = project({ 'fabfile.ts': `import { env } from 'fabts';\nenv.loadedFrom = 'fabfile';\nexport const same = () => 0;` });
  envStore.writeLayer = 'fabfile';
  await loadFabfile(join(dir, 'fabfile.ts'));
  assert.equal(env.loadedFrom, 'fabfile');
  assert.equal(self.env.loadedFrom, 'fabfile');
  assert.equal(envStore.origin('loadedFrom'), 'fabfile', 'top-level writes land in the fabfile layer');
});

test('a fabfile that throws at import is a LoadError naming file:line', async () => {
  const dir = project({ 'fabfile.ts': `export const a = 1;\n\nthrow new Error('kaboom');\n` });
  await assert.rejects(loadFabfile(join(dir, 'fabfile.ts')), (error: unknown) => {
    assert.ok(error instanceof LoadError);
    assert.match(error.message, /fabfile\.ts:3/);
    assert.match(error.message, /kaboom/);
    assert.equal(error.exitCode, 3);
    return true;
  });
});

test('a syntax error is a LoadError with the location', async () => {
  const dir = project({ 'fabfile.ts': `export function ok() {}\nexport const = ;\n` });
  await assert.rejects(loadFabfile(join(dir, 'fabfile.ts')), (error: unknown) => error instanceof LoadError && /fabfile\.ts:2/.test(error.message));
});

test('discovery: -f, nearest upward, fabfile/index.ts, and a hint to fab init', () => {
  const dir = project({ 'fabfile.mjs': 'export const a = () => 0;', 'deep/er/x.txt': '', 'pkg/fabfile/index.ts': 'export const b = () => 0;' });
  assert.equal(discoverFabfile(join(dir, 'deep/er')), join(dir, 'fabfile.mjs'));
  assert.equal(discoverFabfile(join(dir, 'pkg')), join(dir, 'pkg/fabfile/index.ts'));
  assert.equal(discoverFabfile(dir, 'pkg/fabfile'), join(dir, 'pkg/fabfile/index.ts'));
  assert.throws(() => discoverFabfile(dir, 'missing.ts'), (error: unknown) => error instanceof UsageError && /missing\.ts not found/.test(error.message));
  const empty = mkdtempSync(join(tmpdir(), 'fabts-empty-'));
  assert.throws(() => discoverFabfile(empty), /fab init/);
});

test('doc comments are found for functions, consts and object members', () => {
  const docs = docComments(`/** A */ export function a() {}\n/**\n * B\n * more\n */\nexport const b = 1;\nconst ns = {\n  /** C */\n  c: task(() => 0),\n};`);
  assert.equal(docs.get('a'), 'A');
  assert.equal(docs.get('b'), 'B more');
  assert.equal(docs.get('c'), 'C');
});
