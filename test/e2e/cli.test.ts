import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fab, makeProject } from '../support/fab.ts';

const FABFILE = `
import { task, env, local } from 'fabts';

/** Say hello */
export async function hello() {
  await local('echo hello-from-local');
}

export const greet = task({ description: 'Greet someone', aliases: ['hi'] }, async ({ _, name = 'world', ...rest }) => {
  console.log('ARGS ' + JSON.stringify({ _, name, ...rest }));
});

export const db = {
  /** Run migrations */
  migrate: task(async () => console.log('MIGRATE')),
  nested: { deep: task({ description: 'Deep task' }, async () => console.log('DEEP')) },
};

export async function fails() {
  await local('echo some output; echo "it broke" >&2; exit 4');
}

export function _private() {}
`;

test('fab -l lists tasks as a namespaced tree with descriptions and aliases', async () => {
  const dir = makeProject({ 'fabfile.ts': FABFILE });
  const { code, stdout } = await fab(['-l'], { cwd: dir });
  assert.equal(code, 0);
  assert.match(stdout, /^Available tasks:/);
  assert.match(stdout, /^ {4}hello\s+Say hello$/m);
  assert.match(stdout, /^ {4}greet\s+Greet someone\s+\(aliases: hi\)$/m);
  assert.match(stdout, /^ {2}db:$/m);
  assert.match(stdout, /^ {4}db\.migrate\s+Run migrations$/m);
  assert.match(stdout, /^ {2}db\.nested:$/m);
  assert.match(stdout, /^ {6}db\.nested\.deep\s+Deep task$/m);
  assert.doesNotMatch(stdout, /_private/);
});

test('fab -d shows a task description and its arguments', async () => {
  const dir = makeProject({ 'fabfile.ts': FABFILE });
  const { code, stdout } = await fab(['-d', 'greet'], { cwd: dir });
  assert.equal(code, 0);
  assert.match(stdout, /Greet someone/);
  assert.match(stdout, /Arguments: _, name = "world", \.\.\.rest/);
});

test('Fabric 1 task arguments reach the task; several tasks run in order', async () => {
  const dir = makeProject({ 'fabfile.ts': FABFILE });
  const { code, stdout } = await fab(['greet:dev,force=yes,msg=a\\,b', 'hi', 'db.migrate', 'db.nested.deep'], { cwd: dir });
  assert.equal(code, 0, stdout);
  const lines = stdout.split('\n').filter((line) => /^(ARGS|MIGRATE|DEEP)/.test(line));
  assert.deepEqual(lines, ['ARGS {"_":["dev"],"name":"world","force":"yes","msg":"a,b"}', 'ARGS {"_":[],"name":"world"}', 'MIGRATE', 'DEEP']);
});

test('local output is printed line by line with the host and stream', async () => {
  const dir = makeProject({ 'fabfile.ts': FABFILE });
  const { code, stdout } = await fab(['hello'], { cwd: dir });
  assert.equal(code, 0);
  assert.match(stdout, /^\[localhost\] local: echo hello-from-local$/m);
  assert.match(stdout, /^\[localhost\] out: hello-from-local$/m);
});

test('a failing task exits 1 and says the command, the exit code and the stderr tail; later tasks do not run', async () => {
  const dir = makeProject({ 'fabfile.ts': FABFILE });
  const { code, stdout, stderr } = await fab(['fails', 'hello'], { cwd: dir });
  assert.equal(code, 1);
  assert.match(stderr, /exit code 4/);
  assert.match(stderr, /it broke/);
  assert.doesNotMatch(stdout, /hello-from-local/);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
});

test('an unknown task is a usage error (2) with a suggestion', async () => {
  const dir = makeProject({ 'fabfile.ts': FABFILE });
  const { code, stderr } = await fab(['helo'], { cwd: dir });
  assert.equal(code, 2);
  assert.match(stderr, /no task named "helo" \(did you mean "hello"\?\)/);
  const skipped = await fab(['nope', 'hello', '--skip-unknown-tasks'], { cwd: dir });
  assert.equal(skipped.code, 0);
  assert.match(skipped.stderr, /skipped/);
  assert.match(skipped.stdout, /hello-from-local/);
});

test('an unknown flag is a usage error with a suggestion', async () => {
  const dir = makeProject({ 'fabfile.ts': FABFILE });
  const { code, stderr } = await fab(['--hots', 'web1', 'hello'], { cwd: dir });
  assert.equal(code, 2);
  assert.match(stderr, /unknown option --hots \(did you mean --hosts\?\)/);
  assert.equal(stderr.trim().split('\n').length, 1, 'one line');
});

test('no fabfile is a usage error with a hint to fab init', async () => {
  const dir = makeProject({ 'README': 'empty' });
  const { code, stderr } = await fab(['hello'], { cwd: dir });
  assert.equal(code, 2);
  assert.match(stderr, /no fabfile\.ts found.*fab init/);
});

test('a fabfile that throws at import exits 3 with file:line and no stack unless --debug', async () => {
  const dir = makeProject({ 'fabfile.ts': `import { env } from 'fabts';\nenv.x = 1;\nthrow new Error('bad fabfile');\n` });
  const { code, stderr } = await fab(['-l'], { cwd: dir });
  assert.equal(code, 3);
  assert.match(stderr, /fabfile\.ts:3.*bad fabfile/);
  assert.doesNotMatch(stderr, /\n\s+at /);
  const debug = await fab(['-l', '--debug'], { cwd: dir });
  assert.equal(debug.code, 3);
  assert.match(debug.stderr, /\n\s+at /, 'a stack with --debug');
});

test('-V prints the version and --help lists the options', async () => {
  const dir = makeProject({});
  const version = await fab(['-V'], { cwd: dir });
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(version.code, 0);
  assert.match(version.stdout, new RegExp(`fabts ${pkg.version.replace(/\./g, '\\.')}`));
  const help = await fab(['--help'], { cwd: dir });
  assert.equal(help.code, 0);
  for (const flag of ['--list', '--display', '--hosts', '--roles', '--exclude-hosts', '--fabfile', '--config', '--set', '--parallel', '--warn-only']) {
    assert.match(help.stdout, new RegExp(flag));
  }
});

test('fab init writes a fabfile that lists and runs, and refuses to overwrite it', async () => {
  const dir = makeProject({});
  const first = await fab(['init'], { cwd: dir });
  assert.equal(first.code, 0);
  assert.ok(existsSync(join(dir, 'fabfile.ts')));
  const list = await fab(['-l'], { cwd: dir });
  assert.match(list.stdout, /hello\s+Say hello/);
  const runHello = await fab(['hello'], { cwd: dir });
  assert.equal(runHello.code, 0, runHello.stderr);
  const again = await fab(['init'], { cwd: dir });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists/);
});

test('fab init and fab types make editors resolve fabts to this fab, with no node_modules (checked with tsc)', async () => {
  const dir = makeProject({});
  const init = await fab(['init'], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /Wrote .*tsconfig\.json: editors resolve 'fabts' to .*index\.d\.ts/);
  const tsc = join(process.cwd(), 'node_modules', '.bin', 'tsc');
  const check = spawnSync(tsc, ['-p', dir], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  writeFileSync(join(dir, 'fabfile.ts'), "import { run } from 'fabts';\nexport async function bad() { await run(42); }\n");
  const wrong = spawnSync(tsc, ['-p', dir], { encoding: 'utf8' });
  assert.match(wrong.stdout, /fabfile\.ts[\s\S]*Argument of type 'number'/, 'the real types, not any');
  // An existing tsconfig.json gets the paths entry; fab types says so.
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true } }));
  const types = await fab(['types'], { cwd: dir });
  assert.equal(types.code, 0, types.stderr);
  assert.match(types.stdout, /Updated .*tsconfig\.json/);
  assert.match(JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')).compilerOptions.paths.fabts[0], /index\.d\.ts$/);
});

test('fab completion prints a shell completion script', async () => {
  const { code, stdout } = await fab(['completion'], { cwd: makeProject({}) });
  assert.equal(code, 0);
  assert.match(stdout, /complete -F _fab_completions fab/);
});

test('the default task runs when none is named', async () => {
  const dir = makeProject({ 'fabfile.ts': `import { task } from 'fabts';\nexport default task(async () => console.log('DEFAULT RAN'));\n` });
  const { code, stdout } = await fab([], { cwd: dir });
  assert.equal(code, 0);
  assert.match(stdout, /DEFAULT RAN/);
});

test('a .mjs fabfile and a fabfile/index.ts directory load too, in an ESM package', async () => {
  const mjs = makeProject({ 'fabfile.mjs': `import { local } from 'fabts';\nexport async function m() { await local('echo mjs-ok'); }\n` });
  assert.match((await fab(['m'], { cwd: mjs })).stdout, /mjs-ok/);
  const pkg = makeProject({
    'package.json': '{"type":"module"}',
    'fabfile/index.ts': `export { tools } from './tools.ts';\n`,
    'fabfile/tools.ts': `import { local } from 'fabts';\nexport const tools = { check: async () => { await local('echo dir-ok'); } };\n`,
  });
  const result = await fab(['tools.check'], { cwd: join(pkg) });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /dir-ok/);
});
