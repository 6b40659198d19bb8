// The built `fab` against the real test bed: ad hoc commands, fabfile tasks on hosts, gateways, remote failures.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadTestbed, type Testbed } from '../hosts/testbed.ts';
import { fab, makeProject } from '../support/fab.ts';

let tb: Testbed;
before(() => {
  tb = loadTestbed();
});

const FABFILE = `
import { task, env, run, sudo, cd } from 'fabts';

/** Show where each host runs */
export async function where() {
  const result = await run('echo "$(whoami) on port \${SSH_CONNECTION##* }"');
  return String(result);
}

export const deploy = task({ description: 'Ship a release', hosts: ['web1', 'web2'], parallel: true }, async ({ _: [release = 'r1'] }) => {
  const dir = \`\${env.releases}/\${env.host}\`;
  await run\`mkdir -p \${dir}\`;
  await cd(dir, () => run\`echo \${release} > current\`);
  await sudo\`test -f \${dir}/current\`;
  return String(await run\`cat \${dir}/current\`);
});

export async function fails() {
  await run('echo about to fail; echo broken >&2; exit 9');
}
`;

describe('fab on the test bed', () => {
  it('runs an ad hoc command on each host after --, output attributed to the host', async () => {
    const dir = makeProject({});
    const out = await fab(['-F', tb.sshConfigPath, '-H', 'web1,web2', '--', 'echo hello from port ${SSH_CONNECTION##* }'], { cwd: dir });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`^\\[web1\\] out: hello from port ${tb.hosts.web1.port}$`, 'm'));
    assert.match(out.stdout, new RegExp(`^\\[web2\\] out: hello from port ${tb.hosts.web2.port}$`, 'm'));
    assert.ok(out.stdout.indexOf('[web1] out') < out.stdout.indexOf('[web2] run'), 'serial by default: web1 finishes before web2 starts');
  });

  it('runs a fabfile task with arguments on its own hosts, in parallel, through the bastion, with sudo', async () => {
    const dir = makeProject({
      'fabfile.ts': FABFILE,
      // Secrets belong in config files (or prompts), never on the command line.
      '.fabrc.json': JSON.stringify({ sudoPassword: tb.password, releases: tb.remoteDir }),
    });
    const out = await fab(['-F', tb.sshConfigPath, 'deploy:r42'], { cwd: dir });
    assert.equal(out.code, 0, out.stderr + out.stdout);
    for (const host of ['web1', 'web2']) {
      assert.match(out.stdout, new RegExp(`^\\[${host}\\] sudo: test -f ${tb.remoteDir}/${host}/current$`, 'm'));
      assert.match(out.stdout, new RegExp(`^\\[${host}\\] out: r42$`, 'm'));
    }
    assert.ok(!out.stdout.includes(tb.password) && !out.stderr.includes(tb.password));
  });

  it('-g puts hosts given by address behind a gateway', async () => {
    const dir = makeProject({ 'fabfile.ts': FABFILE });
    const out = await fab(
      ['-F', tb.sshConfigPath, '-g', 'bastion', '-u', tb.user, '-i', tb.keyPath, '-D', '-H', `127.0.0.1:${tb.hosts.web2.port}`, 'where'],
      { cwd: dir },
    );
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`out: fabtest on port ${tb.hosts.web2.port}$`, 'm'));
  });

  it('a failing remote command exits 1 with the host, command, exit code and stderr tail, and no stack', async () => {
    const dir = makeProject({ 'fabfile.ts': FABFILE });
    const out = await fab(['-F', tb.sshConfigPath, '-H', 'web1,direct', 'fails'], { cwd: dir });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /\[web1\] Failed: fails: command failed on web1 with exit code 9: echo about to fail; echo broken >&2; exit 9/);
    assert.ok(!out.stdout.includes('[direct]'), 'a failing host stops a serial run');
    assert.ok(!/\n\s+at /.test(out.stderr), 'no stack trace');
  });

  it('an unreachable host fails with one clear line; --skip-bad-hosts goes on with the others', async () => {
    const dir = makeProject({ 'fabfile.ts': FABFILE });
    const args = ['-F', tb.sshConfigPath, '-H', 'no-such-host.invalid,direct', 'where'];
    const failed = await fab(args, { cwd: dir });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /cannot connect to no-such-host\.invalid .*host name does not resolve/);
    const skipped = await fab(['--skip-bad-hosts', ...args], { cwd: dir });
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /\[direct\] out: fabtest on port/);
  });

  it('a malformed host string is a usage error (exit 2)', async () => {
    const dir = makeProject({ 'fabfile.ts': FABFILE });
    const out = await fab(['-H', 'web1:99999', 'where'], { cwd: dir });
    assert.equal(out.code, 2, out.stderr);
    assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
  });
});
