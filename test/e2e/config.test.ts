import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fab, makeProject } from '../support/fab.ts';

// Each layer sets `level` (and its own key); the task prints what it sees and where it came from.
const PRINTER = (fabfileLevel: boolean) => `
import { env } from 'fabts';
${fabfileLevel ? "env.level = 'fabfile';" : ''}
export async function show() {
  console.log('LEVEL=' + env.level + ' USER=' + env.user + ' POOL=' + env.poolSize + ' WARN=' + env.warnOnly);
}
`;

function levelOf(stdout: string): string {
  return /LEVEL=(\S+)/.exec(stdout)?.[1] ?? `no LEVEL in: ${stdout}`;
}

test('config precedence: defaults < ~/.fabrc < project < -c < fabfile < --set', async () => {
  const home = makeProject({ '.fabrc.json': JSON.stringify({ level: 'user', user: 'from-user-config' }) }, 'fabts-home-');
  const project = makeProject({
    'fabfile.ts': PRINTER(false),
    'sub/dir/.keep': '',
    'extra.yaml': 'level: file\n',
  });
  const env = { HOME: home };

  let out = await fab(['show'], { cwd: project, env });
  assert.equal(levelOf(out.stdout), 'user', out.stderr);
  assert.match(out.stdout, /USER=from-user-config/);

  writeFileSync(join(project, '.fabrc.yaml'), 'level: project\npool_size: 3\n');
  out = await fab(['show'], { cwd: join(project, 'sub/dir'), env });
  assert.equal(levelOf(out.stdout), 'project', 'the project config is found from a subdirectory');
  assert.match(out.stdout, /POOL=3/, 'snake_case keys are normalized');
  assert.match(out.stdout, /USER=from-user-config/, 'lower layers still fill what higher ones do not set');

  out = await fab(['show', '-c', 'extra.yaml'], { cwd: project, env });
  assert.equal(levelOf(out.stdout), 'file');

  writeFileSync(join(project, 'fabfile.ts'), PRINTER(true));
  out = await fab(['show', '-c', 'extra.yaml'], { cwd: project, env });
  assert.equal(levelOf(out.stdout), 'fabfile');

  out = await fab(['show', '--set', 'level=flag,warn_only=yes', '-u', 'flaguser'], { cwd: project, env });
  assert.equal(levelOf(out.stdout), 'flag');
  assert.match(out.stdout, /WARN=true/);
  assert.match(out.stdout, /USER=flaguser/);
});

test('package.json#fab and fab.config.ts are project config', async () => {
  const pkg = makeProject({ 'package.json': JSON.stringify({ name: 'x', fab: { level: 'package-json' } }), 'fabfile.ts': PRINTER(false) });
  assert.equal(levelOf((await fab(['show'], { cwd: pkg })).stdout), 'package-json');
  const ts = makeProject({ 'fab.config.ts': `const level: string = 'fab-config-ts';\nexport default { level };\n`, 'fabfile.ts': PRINTER(false) });
  const out = await fab(['show'], { cwd: ts });
  assert.equal(levelOf(out.stdout), 'fab-config-ts', out.stderr);
});

test('an invalid config file is a usage error naming the file and the problem', async () => {
  const broken = makeProject({ '.fabrc.json': '{ "level": ', 'fabfile.ts': PRINTER(false) });
  let out = await fab(['show'], { cwd: broken });
  assert.equal(out.code, 2);
  assert.match(out.stderr, /\.fabrc\.json/);
  assert.equal(out.stderr.trim().split('\n').length, 1);

  const wrongType = makeProject({ '.fabrc.yaml': 'port: many\n', 'fabfile.ts': PRINTER(false) });
  out = await fab(['show'], { cwd: wrongType });
  assert.equal(out.code, 2);
  assert.match(out.stderr, /\.fabrc\.yaml.*port/);

  const missing = makeProject({ 'fabfile.ts': PRINTER(false) });
  out = await fab(['show', '-c', 'nope.yaml'], { cwd: missing });
  assert.equal(out.code, 2);
  assert.match(out.stderr, /nope\.yaml/);
});

test('--set with a bad pair is a usage error', async () => {
  const dir = makeProject({ 'fabfile.ts': PRINTER(false) });
  const out = await fab(['show', '--set', '=x'], { cwd: dir });
  assert.equal(out.code, 2);
  assert.match(out.stderr, /--set/);
});

test('config files may hold hosts and roledefs that tasks use', async () => {
  const dir = makeProject({
    '.fabrc.yaml': 'roledefs:\n  web: [a, b]\n',
    'fabfile.ts': `import { env } from 'fabts';\nexport async function roles() { console.log('WEB=' + JSON.stringify(env.roledefs.web)); }\n`,
  });
  mkdirSync(join(dir, 'x'));
  const out = await fab(['roles'], { cwd: dir });
  assert.match(out.stdout, /WEB=\["a","b"\]/);
});
