// Hostile values reach commands as data, never as code (issue 8, "Security"): quotes, $(), backticks, ;, &&, |,
// newlines, globs, unicode and the rest go through run``, sudo``, local``, cd(), shellEnv(), the env option,
// path(), prefix() with quote() (prefix takes a raw command by design) and put({ useSudo }) (whose moves run in
// a shell), on a host behind the bastion and on one reached directly. Each value is printed back and compared;
// every value that would run code touches a marker file if it ever did, and no marker may exist afterwards.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cd, lcd, local, path as pathScope, prefix, put, quote, run, shellEnv, sudo } from '../../src/index.ts';
import { asRoot, localScratch, remoteScratch } from '../support/files.ts';
import { closePoolAfter, onHost, useTestbed, type Testbed } from '../support/remote.ts';

let tb: Testbed;
let scratch: string;
let marker: string;
let hostile: string[];

before(() => {
  tb = useTestbed();
  scratch = remoteScratch(tb, 'quoting');
  marker = `${scratch}/PWNED`;
  const m = marker;
  hostile = [
    "it's",
    'say "hi"',
    `$(touch ${m})`,
    `\`touch ${m}\``,
    `a; touch ${m}`,
    `a && touch ${m}`,
    `a | touch ${m}`,
    `a\ntouch ${m}`,
    `'; touch ${m}; '`,
    `"; touch ${m}; "`,
    `\\"; touch ${m}; \\"`,
    `$(touch ${m})'\`touch ${m}\`'`,
    '${HOME} $HOME ~ * ?',
    '-n',
    '%s %d \\n \\',
    'ünïcødé ✓ 日本語 \u{1F680}',
    '  spaced  out  ',
    '#not a comment',
    '',
  ];
});
closePoolAfter();
after(() => assert.equal(fs.existsSync(marker), false, 'no hostile value ever ran as a command'));

/** What `printf '<%s>' value...` prints for these values. */
const echoed = (values: string[]) => values.map((value) => `<${value}>`).join('');

describe('hostile values are data', () => {
  for (const host of ['web1', 'direct'] as const) {
    test(`run\`\` and sudo\`\` on ${host}`, async () => {
      useTestbed({ sudoPassword: tb.password });
      const [plain, root] = await onHost(host, async () => [await run`printf '<%s>' ${hostile}`, await sudo`printf '<%s>' ${hostile}`]);
      assert.equal(plain!.stdout, echoed(hostile));
      assert.equal(root!.stdout, echoed(hostile));
      assert.equal(fs.existsSync(marker), false);
    });
  }

  test('local``', async () => {
    assert.equal((await local`printf '<%s>' ${hostile}`).stdout, echoed(hostile));
    assert.equal(fs.existsSync(marker), false);
  });

  test('shellEnv(), the env option, and sudo inside shellEnv()', async () => {
    useTestbed({ sudoPassword: tb.password });
    for (const value of hostile) {
      const results = await onHost('web1', () =>
        shellEnv({ VALUE: value }, async () => [await run(`printf '<%s>' "$VALUE"`), await sudo(`printf '<%s>' "$VALUE"`)]),
      );
      assert.deepEqual(results.map((result) => result.stdout), [echoed([value]), echoed([value])]);
      assert.equal((await onHost('direct', () => run(`printf '<%s>' "$VALUE"`, { env: { VALUE: value } }))).stdout, echoed([value]));
      assert.equal((await local(`printf '<%s>' "$VALUE"`, { env: { VALUE: value } })).stdout, echoed([value]));
    }
    assert.equal(fs.existsSync(marker), false);
  });

  test('the env option refuses a variable name that is not one (names are not quoted: they would run as code)', async () => {
    useTestbed({ sudoPassword: tb.password });
    const names = [`X=1;touch ${marker};Y`, `$(touch ${marker})`, 'A B', '1ABC', '', 'A-B', 'A\nB'];
    for (const name of names) {
      const vars = { [name]: 'value' };
      const refused = (error: unknown) => (error as { code?: string }).code === 'BAD_ARGUMENT' && /is not a valid variable name/.test((error as Error).message);
      await assert.rejects(onHost('web1', () => run('true', { env: vars })), refused, `run with ${JSON.stringify(name)}`);
      await assert.rejects(onHost('web1', () => sudo('true', { env: vars })), refused, `sudo with ${JSON.stringify(name)}`);
      await assert.rejects(local('true', { env: vars }), refused, `local with ${JSON.stringify(name)}`);
    }
    assert.equal(fs.existsSync(marker), false);
    assert.equal((await local('printf %s "$_OK_1"', { env: { _OK_1: 'fine' } })).stdout, 'fine');
  });

  test('cd() into directories named by them, with run and sudo; lcd() for local', async () => {
    useTestbed({ sudoPassword: tb.password });
    const names = hostile.filter((value) => value !== '' && !value.includes('/'));
    for (const name of names) {
      const dir = `${scratch}/${name}`;
      await onHost('direct', () => run`mkdir -p ${dir}`);
      const [here, asRootHere] = await onHost('web2', () => cd(dir, async () => [await run('pwd'), await sudo('pwd')]));
      assert.equal(here!.stdout, `${dir}\n`);
      assert.equal(asRootHere!.stdout, `${dir}\n`);
      assert.equal((await lcd(dir, () => local('pwd'))).stdout, `${dir}\n`);
    }
    // Relative cd() joins: a hostile name below a plain one.
    const nested = await onHost('direct', () => cd(scratch, () => cd('say "hi"', () => run('pwd'))));
    assert.equal(nested.stdout, `${scratch}/say "hi"\n`);
    assert.equal(fs.existsSync(marker), false);
  });

  test('path() adds a hostile directory to $PATH as one entry', async () => {
    for (const value of [`/opt/$(touch ${marker})`, '/opt/a b:c', "/opt/it's"]) {
      const result = await onHost('web1', () => pathScope(value, 'prepend', () => run(`printf '<%s>' "\${PATH%%:/usr/*}"`)));
      assert.equal(result.stdout, echoed([value]));
    }
    assert.equal(fs.existsSync(marker), false);
  });

  test('prefix() takes a raw command by design; with quote() every value in it is data', async () => {
    for (const value of hostile) {
      const result = await onHost('web2', () => prefix(`VALUE=${quote(value)}`, () => run(`printf '<%s>' "$VALUE"`)));
      assert.equal(result.stdout, echoed([value]));
    }
    // Without quote() it is a command like any other: this is what it is for.
    const raw = await onHost('web2', () => prefix('VALUE=$(echo computed)', () => run(`printf '<%s>' "$VALUE"`)));
    assert.equal(raw.stdout, '<computed>');
    assert.equal(fs.existsSync(marker), false);
  });

  test('put({ useSudo }) to root-owned paths named by them: the moves and chmods in a shell keep them whole', async () => {
    useTestbed({ sudoPassword: tb.password });
    const rootDir = remoteScratch(tb, 'quoting-root');
    asRoot(`chown root:root ${quote(rootDir)} && chmod 755 ${quote(rootDir)}`);
    const source = path.join(localScratch('fabts-quoting-'), 'payload');
    fs.writeFileSync(source, 'payload\n');
    const names = [`a'b; touch ${path.basename(marker)}`, '$(touch PWNED)', '`touch PWNED`', 'x\ny', 'ünï ✓'];
    await onHost('direct', () => cd(scratch, async () => {
      for (const name of names) await put(source, `${rootDir}/${name}`, { useSudo: true });
    }));
    assert.deepEqual(fs.readdirSync(rootDir).sort(), [...names].sort());
    for (const name of names) {
      const stat = fs.statSync(path.join(rootDir, name));
      assert.equal(stat.uid, 0, `${JSON.stringify(name)} is root's`);
      assert.equal(fs.readFileSync(path.join(rootDir, name), 'utf8'), 'payload\n');
    }
    assert.equal(fs.existsSync(marker), false);
    assert.equal(fs.existsSync(`${tb.home}/PWNED`), false);
  });

  test('sudo({ user, group }) with hostile names: sudo refuses them as names, nothing runs', async () => {
    useTestbed({ sudoPassword: tb.password });
    const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const name of [`root; touch ${marker}`, `$(touch ${marker})`]) {
      await assert.rejects(onHost('direct', () => sudo('true', { user: name })), new RegExp(`sudo: unknown user ${literally(name)}`));
      await assert.rejects(onHost('direct', () => sudo('true', { group: name })), new RegExp(`sudo: unknown group ${literally(name)}`));
    }
    assert.equal(fs.existsSync(marker), false);
  });
});
