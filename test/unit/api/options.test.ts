import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Connection } from '../../../src/api/connection.ts';
import { Group, GroupError, GroupResult } from '../../../src/api/group.ts';
import { envFromOptions } from '../../../src/api/options.ts';

describe('library options', () => {
  it('become the env keys fab reads, and only those given', () => {
    assert.deepEqual(
      envFromOptions({ user: 'deploy', port: 2222, identityFiles: '~/.ssh/id_deploy', agent: false, defaultKeys: false, sshConfig: false, hostKeyPolicy: 'strict', sudoPassword: 's', env: { warnOnly: true } }),
      { warnOnly: true, user: 'deploy', port: 2222, keyFilename: ['~/.ssh/id_deploy'], noAgent: true, noKeys: true, useSshConfig: false, hostKeyPolicy: 'strict', sudoPassword: 's' },
    );
    assert.deepEqual(envFromOptions({ sshConfig: '/etc/ssh_config', agent: true }), { sshConfigPath: '/etc/ssh_config', noAgent: false });
    assert.deepEqual(envFromOptions({}), {});
  });
});

describe('GroupResult and GroupError', () => {
  it('split the hosts by outcome and name every failed host', () => {
    const result = new GroupResult<string>([['web1', 'ok'], ['web2', new Error('exit 3\nmore')], ['web3', new Error('refused')]]);
    assert.deepEqual([...result.succeeded.keys()], ['web1']);
    assert.deepEqual([...result.failed.keys()], ['web2', 'web3']);
    const error = new GroupError(result);
    assert.equal(error.message, 'failed on 2 of 3 hosts: web2: exit 3; web3: refused');
    assert.equal(error.result, result);
  });
});

// Compiled, never called: the string forms of the overloaded run/sudo are what Connection and Group take.
export function typesAccepted(c: Connection, g: Group): void {
  void c.run('uptime', { warnOnly: true });
  void c.run`ls ${'a dir'}`;
  void c.sudo('whoami', { user: 'www-data' });
  void g.run('uptime', { pty: true }).then((result) => result.succeeded.get('web1')?.stdout);
  void g.sudo('whoami', { user: 'www-data' });
}

describe('await using', () => {
  it('closes a Connection at the end of the block (the project compiles it)', async () => {
    let kept: Connection | undefined;
    {
      await using c = new Connection('never-opened.invalid');
      kept = c;
    }
    await assert.rejects(kept.run('true'), /the Connection to never-opened\.invalid is closed/);
  });
});
