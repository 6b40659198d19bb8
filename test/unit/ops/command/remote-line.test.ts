import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { envStore } from '../../../../src/env/env.ts';
import { DEFAULTS } from '../../../../src/config/schema.ts';
import { cd, prefix } from '../../../../src/env/scopes.ts';
import { remoteLine } from '../../../../src/ops/command/run.ts';
import { portableShellLine } from '../../../../src/ops/quoting/login-shell.ts';

beforeEach(() => {
  envStore.reset();
  envStore.setLayer('defaults', { ...DEFAULTS }, 'defaults');
});

test('plain words go to the login shell as they are: no /bin/sh -c process around them', () => {
  for (const line of ['true', 'uptime', 'ls -la /var/log', 'df -h /', 'systemctl restart app.service', 'tar --exclude=.git -czf a.tgz src', 'git log -n 5 --format=%H']) {
    assert.equal(remoteLine(line, {}), line);
  }
});

test('anything a shell could read differently keeps the /bin/sh -c wrapper', () => {
  for (const line of ['echo $HOME', 'a=b cmd', 'ls ~', 'ls *.log', 'x && y', 'echo "q"', "echo 'q'", 'cat <f', 'a | b', 'a; b', 'echo `id`', 'ls  -l', ' ls', 'ls =x', 'echo {a,b}', '%1', '@ x = 1', 'echo a\\ b', 'echo hi!']) {
    assert.equal(remoteLine(line, {}), portableShellLine('/bin/sh -c', line), line);
    assert.ok(remoteLine(line, {}).startsWith('/bin/sh -c '), line);
  }
});

test('a scope (cd, prefix) composes with && and keeps the wrapper', async () => {
  await cd('/srv', async () => assert.equal(remoteLine('ls', {}), `/bin/sh -c 'cd /srv && ls'`));
  await prefix('true', async () => assert.equal(remoteLine('ls', {}), `/bin/sh -c 'true && ls'`));
});

test('a shell the user chose always wraps the command', () => {
  assert.equal(remoteLine('true', { shell: '/bin/sh -c' }), '/bin/sh -c true');
  envStore.setLayer('cli', { shell: '/bin/bash -l -c' }, 'test');
  assert.equal(remoteLine('true', {}), '/bin/bash -l -c true');
});
