// Host and user names that would run code (issue 12, item 5): ssh_config's ProxyCommand runs through /bin/sh with
// %h %n %r expanded in place, so a host string like `a;id>pwned` from -H, from `task:hosts=`, or read back from a
// planted .fab/last-run.json by `-H @failed`, would run `id`. OpenSSH 9.6 refuses such names (CVE-2023-51385); so
// does fab, before the command is started.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fab, makeProject } from '../support/fab.ts';

/** A project whose every host goes through a ProxyCommand that uses all three tokens, unquoted. */
function project(): string {
  return makeProject({
    'fabfile.ts': `import { task, run } from 'fabts';\nexport const hello = task(async () => { await run('true'); });\n`,
    '.ssh/config': 'Host *\n  ProxyCommand exec true %h %n %r\n  ConnectTimeout 3\n',
  });
}

/** The host fails (as any host whose ssh_config cannot be used), with a one-line reason; the run goes on elsewhere. */
function refused(run: { code: number | null; stderr: string }, name: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, name);
  assert.match(run.stderr, /shell metacharacters/);
  assert.match(run.stderr, /ProxyCommand/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

describe('shell metacharacters in names that feed ProxyCommand', () => {
  test('a host string from -H is refused and runs nothing', async () => {
    const dir = project();
    const run = await fab(['-H', 'a;id>pwned', 'hello'], { cwd: dir });
    assert.ok(!existsSync(join(dir, 'pwned')), 'the shell ran the host name');
    refused(run, /a;id>pwned/);
  });

  test('a host name with $() or backticks is refused', async () => {
    const dir = project();
    const dollar = await fab(['-H', 'b$(id>pwned)', 'hello'], { cwd: dir });
    const ticks = await fab(['-H', 'c`id>pwned2`', 'hello'], { cwd: dir });
    assert.ok(!existsSync(join(dir, 'pwned')) && !existsSync(join(dir, 'pwned2')), 'the shell ran the host name');
    refused(dollar, /b\$\(id>pwned\)/);
    refused(ticks, /c`id>pwned2`/);
  });

  test('a host from task:hosts= is refused', async () => {
    const dir = project();
    const run = await fab(['hello:hosts=d$(id>pwned)'], { cwd: dir });
    assert.ok(!existsSync(join(dir, 'pwned')), 'the shell ran the host name');
    refused(run, /d\$\(id>pwned\)/);
  });

  test('a user from -u (%r) is refused', async () => {
    const dir = project();
    const run = await fab(['-H', 'web1', '-u', 'x|id>pwned', 'hello'], { cwd: dir });
    assert.ok(!existsSync(join(dir, 'pwned')), 'the shell ran the user name');
    refused(run, /x\|id>pwned/);
  });

  test('a host read back from a planted .fab/last-run.json by -H @failed is refused', async () => {
    const dir = project();
    mkdirSync(join(dir, '.fab'));
    const planted = { version: 1, finishedAt: new Date().toISOString(), tasks: ['hello'], exitCode: 1, hosts: ['web1'], failed: ['web1&id>pwned'] };
    writeFileSync(join(dir, '.fab', 'last-run.json'), JSON.stringify(planted));
    const run = await fab(['-H', '@failed', 'hello'], { cwd: dir });
    assert.ok(!existsSync(join(dir, 'pwned')), 'the shell ran the recorded host name');
    refused(run, /web1&id>pwned/);
  });

  test('a recorded host that is not a host string at all is a clear error', async () => {
    const dir = project();
    mkdirSync(join(dir, '.fab'));
    const planted = { version: 1, finishedAt: new Date().toISOString(), tasks: ['hello'], exitCode: 1, hosts: [], failed: [{ host: 'x' }, 'has space'] };
    writeFileSync(join(dir, '.fab', 'last-run.json'), JSON.stringify(planted));
    const run = await fab(['-H', '@failed', 'hello'], { cwd: dir });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /last-run\.json/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });

  test('ordinary names still work with the same ProxyCommand (it only fails to connect)', async () => {
    const dir = project();
    const run = await fab(['-H', 'deploy@web-1.example.com:2222', 'hello'], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    assert.doesNotMatch(run.stderr, /metacharacters/);
    assert.match(run.stderr, /ProxyCommand/);
  });
});
