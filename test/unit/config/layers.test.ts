import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import { type ConfigLayer, loadConfigLayers } from '../../../src/config/layers.ts';
import { DEFAULTS } from '../../../src/config/schema.ts';

let scratch: string;
let counter = 0;

before(async () => {
  scratch = await realpath(await mkdtemp(path.join(tmpdir(), 'fabts-config-')));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A fresh directory tree: paths relative to its root -> contents. Returns the root. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = path.join(scratch, `t${++counter}`);
  await mkdir(root, { recursive: true });
  for (const [name, contents] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), contents);
  }
  return root;
}

function layer(layers: ConfigLayer[], name: ConfigLayer['name']): ConfigLayer | undefined {
  return layers.find((candidate) => candidate.name === name);
}

/** Asserts a one-line BAD_CONFIG UsageError that mentions every fragment. */
async function assertBadConfig(promise: Promise<unknown>, ...fragments: string[]): Promise<UsageError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof UsageError, `expected a UsageError, got ${String(caught)}`);
  assert.equal(caught.code, 'BAD_CONFIG');
  assert.ok(!caught.message.includes('\n'), `one line: ${JSON.stringify(caught.message)}`);
  for (const fragment of fragments) assert.ok(caught.message.includes(fragment), `"${caught.message}" mentions "${fragment}"`);
  return caught;
}

/** The same settings, `{ hosts: ['web1'], port: 2222 }`, written in every format a config file can have. */
const FORMS: Record<string, string> = {
  'YAML without extension': 'hosts: [web1]\nport: 2222\n',
  'JSON without extension': '{ "hosts": ["web1"], "port": 2222 }',
  '.json': '{ "hosts": ["web1"], "port": 2222 }',
  '.yaml': 'hosts:\n  - web1\nport: 2222\n',
  '.yml': 'hosts: web1\nport: "2222"\n',
  '.js': 'export default { hosts: ["web1"], port: 2222 };\n',
  '.ts': 'const port: number = 2222;\nexport default { hosts: ["web1"] as string[], port };\n',
  '.mjs': 'export default { hosts: ["web1"], port: 2222 };\n',
  '.cjs': 'module.exports = { hosts: ["web1"], port: 2222 };\n',
};

function extensionOf(form: string): string {
  return form.startsWith('.') ? form : '';
}

describe('loadConfigLayers: defaults', () => {
  it('gives only the defaults when there is no config anywhere', async () => {
    const root = await tree({ 'home/.keep': '', 'proj/package.json': '{"name": "p"}' });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    assert.deepEqual(
      layers.map((l) => [l.name, l.source]),
      [['defaults', 'defaults']],
    );
    assert.deepEqual(layers[0]?.values, DEFAULTS);
  });

  it('hands out a copy of the defaults that can be changed', async () => {
    const root = await tree({ 'home/.keep': '', 'proj/package.json': '{}' });
    const [defaults] = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    (defaults?.values.hosts as string[]).push('web9');
    assert.deepEqual(DEFAULTS.hosts, []);
  });
});

describe('loadConfigLayers: user layer (~/.fabrc*)', () => {
  for (const [form, contents] of Object.entries(FORMS)) {
    it(`loads ~/.fabrc${extensionOf(form)} (${form})`, async () => {
      const root = await tree({ [`home/.fabrc${extensionOf(form)}`]: contents, 'proj/package.json': '{}' });
      const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
      const user = layer(layers, 'user');
      assert.equal(user?.source, path.join(root, 'home', `.fabrc${extensionOf(form)}`));
      assert.deepEqual(user?.values, { hosts: ['web1'], port: 2222 });
    });
  }

  it('takes the first file found, in the documented order', async () => {
    const root = await tree({
      'home/.fabrc.yaml': 'user: from-yaml',
      'home/.fabrc.json': '{ "user": "from-json" }',
      'proj/package.json': '{}',
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    assert.equal(layer(layers, 'user')?.values.user, 'from-json');
  });

  it('looks in the home directory only, not above it', async () => {
    const root = await tree({ '.fabrc': 'user: above-home', 'home/.keep': '', 'proj/package.json': '{}' });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    assert.equal(layer(layers, 'user'), undefined);
  });
});

describe('loadConfigLayers: project layer (cosmiconfig "fab")', () => {
  const places: Record<string, string> = {
    '.fabrc': 'hosts: [web1]\nport: 2222\n',
    '.fabrc.json': FORMS['.json']!,
    '.fabrc.yaml': FORMS['.yaml']!,
    '.fabrc.yml': FORMS['.yml']!,
    '.fabrc.js': FORMS['.js']!,
    '.fabrc.ts': FORMS['.ts']!,
    '.fabrc.mjs': FORMS['.mjs']!,
    '.fabrc.cjs': FORMS['.cjs']!,
    'fab.config.js': FORMS['.js']!,
    'fab.config.ts': FORMS['.ts']!,
    'fab.config.mjs': FORMS['.mjs']!,
    'fab.config.cjs': FORMS['.cjs']!,
    'fab.config.json': FORMS['.json']!,
  };
  for (const [name, contents] of Object.entries(places)) {
    it(`loads ${name}`, async () => {
      const root = await tree({ 'home/.keep': '', [`proj/${name}`]: contents, 'proj/package.json': '{"name": "p"}' });
      const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
      const project = layer(layers, 'project');
      assert.equal(project?.source, path.join(root, 'proj', name));
      assert.deepEqual(project?.values, { hosts: ['web1'], port: 2222 });
    });
  }

  it('reads the "fab" key of package.json, which comes before .fabrc', async () => {
    const root = await tree({
      'home/.keep': '',
      'proj/package.json': JSON.stringify({ name: 'p', fab: { roledefs: { web: ['w1', 'w2'] }, skip_bad_hosts: true } }),
      'proj/.fabrc': 'user: ignored',
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    const project = layer(layers, 'project');
    assert.equal(project?.source, path.join(root, 'proj', 'package.json'));
    assert.deepEqual(project?.values, { roledefs: { web: ['w1', 'w2'] }, skipBadHosts: true });
  });

  it('searches upward from a subdirectory to the project root', async () => {
    const root = await tree({
      'home/.keep': '',
      'proj/package.json': '{"name": "p"}',
      'proj/fab.config.json': '{ "user": "deploy" }',
      'proj/src/deep/.keep': '',
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj/src/deep'), home: path.join(root, 'home') });
    assert.equal(layer(layers, 'project')?.source, path.join(root, 'proj', 'fab.config.json'));
  });

  it('takes the nearest config on the way up', async () => {
    const root = await tree({
      'home/.keep': '',
      'proj/package.json': '{}',
      'proj/.fabrc': 'user: outer',
      'proj/sub/.fabrc.yml': 'user: inner',
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj/sub'), home: path.join(root, 'home') });
    assert.equal(layer(layers, 'project')?.values.user, 'inner');
  });

  it('stops at the project root (the directory with package.json)', async () => {
    const root = await tree({ 'home/.keep': '', '.fabrc': 'user: outside', 'proj/package.json': '{}' });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    assert.equal(layer(layers, 'project'), undefined);
  });

  it('goes on past a directory without package.json', async () => {
    const root = await tree({ 'home/.keep': '', 'ops/.fabrc.json': '{"user": "ops"}', 'ops/deploy/.keep': '' });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'ops/deploy'), home: path.join(root, 'home') });
    assert.equal(layer(layers, 'project')?.values.user, 'ops');
  });

  it('stops at home, where ~/.fabrc is the user layer and not also the project layer', async () => {
    const root = await tree({
      '.fabrc': 'user: above-home',
      'home/.fabrc': 'user: me',
      'home/.fabrc.json': '{"user": "leftover"}',
      'home/scratch/.keep': '',
    });
    const home = path.join(root, 'home');
    for (const cwd of [path.join(home, 'scratch'), home]) {
      const layers = await loadConfigLayers({ cwd, home });
      assert.deepEqual(
        layers.map((l) => [l.name, l.source]),
        [
          ['defaults', 'defaults'],
          ['user', path.join(home, '.fabrc')],
        ],
      );
    }
  });

  it('still finds fab.config.* in home as the project layer', async () => {
    const root = await tree({ 'home/.fabrc': 'user: me', 'home/fab.config.json': '{"port": 2200}', 'home/scratch/.keep': '' });
    const home = path.join(root, 'home');
    const layers = await loadConfigLayers({ cwd: path.join(home, 'scratch'), home });
    assert.equal(layer(layers, 'user')?.values.user, 'me');
    assert.equal(layer(layers, 'project')?.source, path.join(home, 'fab.config.json'));
  });

  it('skips a package.json without a "fab" key and reads the next place in the same directory', async () => {
    const root = await tree({ 'home/.keep': '', 'proj/package.json': '{"name": "p"}', 'proj/.fabrc.yaml': 'user: yaml' });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    assert.equal(layer(layers, 'project')?.values.user, 'yaml');
  });
});

describe('loadConfigLayers: TypeScript and JavaScript configs', () => {
  it('loads .ts with types in a "type": "module" package (ESM) through tsx', async () => {
    const root = await tree({
      'home/.keep': '',
      'proj/package.json': '{"type": "module"}',
      'proj/fab.config.ts': [
        'interface Settings { hosts: string[]; roledefs: Record<string, string[]> }',
        "const web: string[] = ['web1', 'web2'];",
        'const settings: Settings = { hosts: web, roledefs: { web } };',
        'export default settings;',
      ].join('\n'),
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    assert.deepEqual(layer(layers, 'project')?.values, { hosts: ['web1', 'web2'], roledefs: { web: ['web1', 'web2'] } });
  });

  it('loads .ts that imports a local TypeScript module', async () => {
    const root = await tree({
      'home/.keep': '',
      'proj/package.json': '{}',
      'proj/hosts.ts': "export const webHosts: string[] = ['w1'];\n",
      'proj/.fabrc.ts': "import { webHosts } from './hosts.ts';\nexport default { hosts: webHosts };\n",
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    assert.deepEqual(layer(layers, 'project')?.values, { hosts: ['w1'] });
  });

  it('takes named exports when a module has no default export', async () => {
    const root = await tree({
      'home/.fabrc.mjs': "export const user = 'deploy';\nexport const warn_only = true;\n",
      'proj/package.json': '{}',
      'proj/.fabrc.ts': "export const hosts: string[] = ['h1'];\n",
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    assert.deepEqual(layer(layers, 'user')?.values, { user: 'deploy', warnOnly: true });
    assert.deepEqual(layer(layers, 'project')?.values, { hosts: ['h1'] });
  });
});

describe('loadConfigLayers: loading again in the same process', () => {
  for (const name of ['.fabrc.mjs', '.fabrc.cjs', '.fabrc.js', '.fabrc.ts']) {
    it(`reads a changed ${name} afresh, also after a failed load`, async () => {
      const root = await tree({ 'home/.keep': '', 'proj/package.json': '{}' });
      const options = { cwd: path.join(root, 'proj'), home: path.join(root, 'home') };
      const file = path.join(root, 'proj', name);
      const write = (user: string) =>
        writeFile(file, name.endsWith('.cjs') ? `module.exports = { user: '${user}' };` : `export default { user: '${user}' };`);
      await write('one');
      assert.equal(layer(await loadConfigLayers(options), 'project')?.values.user, 'one');
      await writeFile(file, 'export default { user: [');
      await assertBadConfig(loadConfigLayers(options), file);
      await write('two');
      assert.equal(layer(await loadConfigLayers(options), 'project')?.values.user, 'two');
    });
  }
});

describe('loadConfigLayers: -c FILE', () => {
  it('sits above the project layer, which sits above the user layer', async () => {
    const root = await tree({
      'home/.fabrc.yaml': 'user: user-layer\nport: 1001\ntimeout: 1\nbranch: from-user\n',
      'proj/package.json': '{}',
      'proj/.fabrc.json': '{ "port": 1002, "timeout": 2 }',
      'proj/ci.yaml': 'timeout: 3\n',
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home'), configFile: 'ci.yaml' });
    assert.deepEqual(
      layers.map((l) => [l.name, l.source]),
      [
        ['defaults', 'defaults'],
        ['user', path.join(root, 'home/.fabrc.yaml')],
        ['project', path.join(root, 'proj/.fabrc.json')],
        ['file', path.join(root, 'proj/ci.yaml')],
      ],
    );
    const merged = Object.assign({}, ...layers.map((l) => l.values)) as Record<string, unknown>;
    assert.equal(merged.user, 'user-layer');
    assert.equal(merged.port, 1002);
    assert.equal(merged.timeout, 3);
    assert.equal(merged.branch, 'from-user');
    assert.equal(merged.shell, DEFAULTS.shell);
  });

  it('loads a file of any supported kind, relative to cwd or absolute', async () => {
    const root = await tree({
      'home/.keep': '',
      'proj/package.json': '{}',
      'proj/conf/prod.ts': "export default { hosts: 'p1,p2' as string };\n",
      'proj/conf/stage': 'hosts: s1\n',
    });
    const cwd = path.join(root, 'proj');
    const home = path.join(root, 'home');
    const ts = await loadConfigLayers({ cwd, home, configFile: 'conf/prod.ts' });
    assert.deepEqual(layer(ts, 'file')?.values, { hosts: ['p1', 'p2'] });
    const plain = await loadConfigLayers({ cwd, home, configFile: path.join(cwd, 'conf/stage') });
    assert.deepEqual(layer(plain, 'file')?.values, { hosts: ['s1'] });
  });

  it('reads the "fab" key when the file is a package.json', async () => {
    const root = await tree({ 'home/.keep': '', 'proj/.keep': '', 'other/package.json': '{"fab": {"user": "x"}}' });
    const layers = await loadConfigLayers({
      cwd: path.join(root, 'proj'),
      home: path.join(root, 'home'),
      configFile: path.join(root, 'other/package.json'),
    });
    assert.deepEqual(layer(layers, 'file')?.values, { user: 'x' });
  });

  it('fails with a usage error naming a file that does not exist', async () => {
    const root = await tree({ 'home/.keep': '', 'proj/package.json': '{}' });
    const error = await assertBadConfig(
      loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home'), configFile: 'nope.yaml' }),
      path.join(root, 'proj', 'nope.yaml'),
      'not found',
    );
    assert.equal(error.exitCode, 2);
  });

  it('fails when the path is a directory', async () => {
    const root = await tree({ 'home/.keep': '', 'proj/package.json': '{}', 'proj/conf/.keep': '' });
    await assertBadConfig(
      loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home'), configFile: 'conf' }),
      path.join(root, 'proj', 'conf'),
    );
  });

  it('does not list the same file twice: the -c layer wins', async () => {
    const root = await tree({ 'home/.fabrc': 'user: me', 'proj/package.json': '{}', 'proj/.fabrc': 'user: proj' });
    const home = path.join(root, 'home');
    const cwd = path.join(root, 'proj');
    const sameAsProject = await loadConfigLayers({ cwd, home, configFile: '.fabrc' });
    assert.deepEqual(
      sameAsProject.map((l) => l.name),
      ['defaults', 'user', 'file'],
    );
    const sameAsUser = await loadConfigLayers({ cwd, home, configFile: path.join(home, '.fabrc') });
    assert.deepEqual(
      sameAsUser.map((l) => l.name),
      ['defaults', 'project', 'file'],
    );
  });
});

describe('loadConfigLayers: file contents', () => {
  it('gives an empty layer for an empty file, which still stops the search', async () => {
    const root = await tree({
      'home/.fabrc.yaml': '',
      'proj/package.json': '{}',
      'proj/.fabrc.json': '{"user": "outer"}',
      'proj/sub/.fabrc': '  \n',
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj/sub'), home: path.join(root, 'home') });
    assert.deepEqual(layer(layers, 'user'), { name: 'user', source: path.join(root, 'home/.fabrc.yaml'), values: {} });
    assert.deepEqual(layer(layers, 'project'), { name: 'project', source: path.join(root, 'proj/sub/.fabrc'), values: {} });
  });

  it('gives an empty layer for a YAML file of comments and a module that exports nothing', async () => {
    const root = await tree({ 'home/.fabrc': '# nothing yet\n', 'proj/package.json': '{}', 'proj/fab.config.mjs': '// later\n' });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    assert.deepEqual(layer(layers, 'user')?.values, {});
    assert.deepEqual(layer(layers, 'project')?.values, {});
  });

  it('normalizes snake_case and kebab-case keys and keeps user keys', async () => {
    const root = await tree({
      'home/.keep': '',
      'proj/package.json': '{}',
      'proj/.fabrc.yaml': 'skip_bad_hosts: yes\nconnection-attempts: "3"\nrelease_channel: beta\n',
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') });
    assert.deepEqual(layer(layers, 'project')?.values, { skipBadHosts: true, connectionAttempts: 3, releaseChannel: 'beta' });
  });

  it('resolves relative paths against the config file directory', async () => {
    const root = await tree({
      'home/.fabrc.json': '{ "keyFilename": "keys/id_ed25519", "knownHostsFile": "~/.ssh/kh" }',
      'proj/package.json': '{}',
      'proj/.fabrc.yaml': 'log_dir: logs\nkey_filename: [./k1, /abs/k2, ~/k3]\nssh_config_path: ../ssh_config\nbranch: ./not-a-path\n',
      'proj/sub/.keep': '',
    });
    const layers = await loadConfigLayers({ cwd: path.join(root, 'proj/sub'), home: path.join(root, 'home') });
    assert.deepEqual(layer(layers, 'user')?.values, {
      keyFilename: [path.join(root, 'home/keys/id_ed25519')],
      knownHostsFile: '~/.ssh/kh',
    });
    assert.deepEqual(layer(layers, 'project')?.values, {
      logDir: path.join(root, 'proj/logs'),
      keyFilename: [path.join(root, 'proj/k1'), '/abs/k2', '~/k3'],
      sshConfigPath: path.join(root, 'ssh_config'),
      branch: './not-a-path',
    });
  });
});

describe('loadConfigLayers: invalid files name the file and the problem in one line', () => {
  async function expectBad(name: string, contents: string, ...fragments: string[]): Promise<UsageError> {
    const root = await tree({ 'home/.keep': '', 'proj/package.json': '{}', [`proj/${name}`]: contents });
    return assertBadConfig(
      loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home') }),
      path.join(root, 'proj', name),
      ...fragments,
    );
  }

  it('JSON syntax error, with line and column', async () => {
    await expectBad('.fabrc.json', '{\n  "hosts": ["a"],\n}\n', 'JSON', 'line 3, column 1');
  });

  it('YAML syntax error, with line and column', async () => {
    await expectBad('.fabrc.yaml', 'hosts: [a\nport: 2\n', 'not valid YAML (line 2, column 1)');
  });

  it('YAML or JSON without extension', async () => {
    await expectBad('.fabrc', '{ "hosts": [ }', 'not valid YAML (line 1, column 14)');
  });

  it('JavaScript syntax error, with line and column', async () => {
    await expectBad('fab.config.mjs', 'export default { hosts: [\n', 'not valid JavaScript (line 2, column 1)');
  });

  it('TypeScript syntax error, with its position', async () => {
    await expectBad('fab.config.ts', 'const port: number = ;\nexport default { port };\n', 'not valid TypeScript (line 1, column 22)');
  });

  it('an error thrown while the module runs, with its line', async () => {
    await expectBad('.fabrc.cjs', '\n\nthrow new Error("no hosts file\\nsecond line");\n', 'no hosts file (line 3)');
  });

  it('an error thrown by an ES module, with its line', async () => {
    await expectBad('.fabrc.mjs', 'const hosts = [];\nundefinedThing.x = 1;\nexport default { hosts };\n', 'ReferenceError', '(line 2)');
  });

  it('a secret next to a syntax error is never quoted: file, line and column only', async () => {
    // V8, js-yaml, esbuild and Node quote the text around the error; that text is often the password.
    const cases: [string, string, string, string][] = [
      ['.fabrc.json', '{"password": hunter2}', 'not valid JSON', 'line 1, column 14'],
      ['fab.config.json', '{\n  "keyPassphrase": "x" hunter2}', 'not valid JSON', 'line 2, column 24'],
      ['package.json', '{"fab": {"sudoPassword": "hunter2"\n,,}}', 'not valid JSON', 'line 2, column 2'],
      ['.fabrc.yaml', 'password: !<hunter2> x\n', 'not valid YAML', 'line 1'],
      ['.fabrc.yml', 'password: *hunter2\n', 'not valid YAML', 'line 1'],
      ['.fabrc', 'password: "hunter2\n', 'not valid YAML', 'line 2'],
      ['fab.config.ts', 'export default {\n  password: "x" hunter2 };\n', 'not valid TypeScript', 'line 2, column 17'],
      ['fab.config.mjs', 'export default {\n  password: "x" hunter2 };\n', 'not valid JavaScript', 'line 2, column 17'],
      ['.fabrc.cjs', 'module.exports = {\n password: "x" hunter2 };\n', 'not valid JavaScript', 'line 2, column 16'],
      ['.fabrc.js', 'export default { password: hunter2 };\n', 'ReferenceError', 'line 1'],
    ];
    for (const [name, contents, ...fragments] of cases) {
      const error = await expectBad(name, contents, ...fragments);
      assert.doesNotMatch(error.message, /hunter2/, `${name}: ${error.message}`);
      assert.doesNotMatch(String(error.stack), /hunter2/, `${name}: the stack (shown with --debug)`);
      assert.equal(error.cause, undefined, `${name}: no cause holding the parser's message`);
    }
  });

  it('not an object', async () => {
    await expectBad('.fabrc.yaml', '- web1\n- web2\n', 'expected an object of settings, found a list');
    await expectBad('.fabrc', 'just words\n', 'expected an object of settings, found "just words"');
    await expectBad('fab.config.js', 'export default () => ({});\n', 'found a function');
  });

  it('a wrong type for a known key', async () => {
    await expectBad('.fabrc.yml', 'port: twenty-two\n', 'port must be a whole number from 1 to 65535, found "twenty-two"');
    await expectBad('fab.config.json', '{ "hostKeyPolicy": "yolo" }', 'hostKeyPolicy must be one of');
  });

  it('a wrong type in package.json#fab names package.json and the "fab" key', async () => {
    await expectBad('package.json', '{ "fab": { "parallel": "sometimes" } }', 'package.json ("fab" key): parallel must be true or false');
  });

  it('a broken package.json on the way up', async () => {
    const root = await tree({ 'home/.keep': '', 'proj/package.json': '{ "name": ', 'proj/src/.keep': '' });
    await assertBadConfig(
      loadConfigLayers({ cwd: path.join(root, 'proj/src'), home: path.join(root, 'home') }),
      path.join(root, 'proj', 'package.json'),
    );
  });

  it('the user file and the -c file too', async () => {
    const root = await tree({ 'home/.fabrc.json': '[1]', 'proj/package.json': '{}', 'proj/bad.yaml': 'timeout: -1\n' });
    const home = path.join(root, 'home');
    const cwd = path.join(root, 'proj');
    await assertBadConfig(loadConfigLayers({ cwd, home }), path.join(home, '.fabrc.json'), 'found a list');
    await rm(path.join(home, '.fabrc.json'));
    await assertBadConfig(loadConfigLayers({ cwd, home, configFile: 'bad.yaml' }), path.join(cwd, 'bad.yaml'), 'timeout');
  });

  it('an unsupported extension given with -c', async () => {
    const root = await tree({ 'home/.keep': '', 'proj/package.json': '{}', 'proj/fab.toml': 'a = 1' });
    await assertBadConfig(
      loadConfigLayers({ cwd: path.join(root, 'proj'), home: path.join(root, 'home'), configFile: 'fab.toml' }),
      path.join(root, 'proj', 'fab.toml'),
      '.toml',
    );
  });
});
