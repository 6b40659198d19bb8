import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { env, envStore } from '../../../src/env/env.ts';
import { runInContext, ROOT_SCOPE, currentScope } from '../../../src/env/context.ts';
import { cd, lcd, settings, hide, show, quiet, warnOnly, prefix, shellEnv, path } from '../../../src/env/scopes.ts';
import { isHidden } from '../../../src/report/levels.ts';

beforeEach(() => envStore.reset());

const inHost = <T>(text: string, fn: () => T, hostEnv: Record<string, unknown> = {}) =>
  runInContext({ host: { text, host: text.replace(/^.*@/, ''), user: text.includes('@') ? text.split('@')[0] : undefined, port: undefined }, hostEnv, scope: ROOT_SCOPE, task: 't' }, fn);

test('layers: defaults < user < project < file < fabfile < cli < runtime', () => {
  const order = ['defaults', 'user', 'project', 'file', 'fabfile', 'cli', 'runtime'] as const;
  for (const [index, name] of order.entries()) {
    envStore.setLayer(name, { level: name }, `${name}-source`);
    assert.equal(env.level, name, `after setting ${name}`);
    assert.equal(envStore.origin('level'), `${name}-source`);
  }
  for (const name of [...order].reverse().slice(0, -1)) {
    envStore.setLayer(name, {});
  }
  assert.equal(env.level, 'defaults');
});

test('top-level writes go to the fabfile layer, below the command line', () => {
  envStore.setLayer('cli', { user: 'from-flag' });
  env.user = 'from-fabfile';
  env.branch = 'main';
  assert.equal(env.user, 'from-flag');
  assert.equal(env.branch, 'main');
  assert.equal(envStore.origin('branch'), 'fabfile');
});

test('inside a task, env shows the current host and keeps writes per host, also concurrently', async () => {
  envStore.setLayer('defaults', { user: 'default-user', port: 22 });
  const seen: string[] = [];
  const work = (text: string, delay: number) =>
    inHost(text, async () => {
      env.mine = text;
      await new Promise((resolve) => setTimeout(resolve, delay));
      seen.push(`${env.hostString}:${env.host}:${env.user}:${env.mine}`);
    });
  await Promise.all([work('alice@web1', 20), work('web2', 5)]);
  assert.deepEqual(seen.sort(), ['alice@web1:web1:alice:alice@web1', 'web2:web2:default-user:web2']);
  assert.equal(env.mine, undefined, 'host writes never leak to the global env');
});

test('settings() overrides inside the callback only, and restores after a throw', async () => {
  env.warnOnly = false;
  await assert.rejects(
    settings({ warnOnly: true, custom: 1 }, async () => {
      assert.equal(env.warnOnly, true);
      assert.equal(env.custom, 1);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(env.warnOnly, false);
  assert.equal(env.custom, undefined);
});

test('cd nests relative paths, resets on absolute and ~, and restores', async () => {
  await cd('/srv', async () => {
    assert.equal(env.cwd, '/srv');
    await cd('app', async () => assert.equal(env.cwd, '/srv/app'));
    await cd('/opt', async () => assert.equal(env.cwd, '/opt'));
    await cd('~/x', async () => assert.equal(env.cwd, '~/x'));
    assert.equal(env.cwd, '/srv');
  });
  assert.equal(env.cwd, undefined);
});

test('lcd resolves against the process directory and nests', async () => {
  await lcd('/tmp', () => lcd('sub', () => assert.equal(env.lcwd, '/tmp/sub')));
});

test('hide/show/quiet switch levels, innermost wins', async () => {
  assert.equal(isHidden('stdout'), false);
  await hide('output', async () => {
    assert.equal(isHidden('stdout'), true);
    assert.equal(isHidden('stderr'), true);
    assert.equal(isHidden('running'), false);
    await show('stdout', () => assert.equal(isHidden('stdout'), false));
  });
  await quiet(async () => {
    assert.equal(isHidden('running'), true);
    assert.equal(env.warnOnly, true);
  });
  assert.throws(() => hide('nonsense' as never, () => 0), /unknown output level/);
});

test('warnOnly, prefix, shellEnv and path build up the scope', async () => {
  await warnOnly(() =>
    prefix('source venv/bin/activate', () =>
      prefix('cd /x', () =>
        shellEnv({ A: '1' }, () =>
          path('/opt/bin', 'prepend', () => {
            const scope = currentScope();
            assert.equal(env.warnOnly, true);
            assert.deepEqual(scope.prefixes, ['source venv/bin/activate', 'cd /x']);
            assert.deepEqual(scope.shellEnv, { A: '1' });
            assert.deepEqual(scope.paths, [{ dir: '/opt/bin', behavior: 'prepend' }]);
          }),
        ),
      ),
    ),
  );
  assert.deepEqual(currentScope().prefixes, []);
  await assert.rejects(async () => shellEnv({ 'BAD-NAME': 'x' }, () => 0), /not a valid variable name/);
});

test('printing env redacts secrets', () => {
  env.password = 'hunter2';
  env.sudoPassword = 'hunter3';
  const text = inspect(env) + JSON.stringify(env);
  assert.ok(!text.includes('hunter'), text);
  assert.ok(text.includes('***'));
});
