// An RSA key on a server that accepts only rsa-sha2-512 signatures (`PubkeyAcceptedAlgorithms rsa-sha2-512`;
// issue 16 item 3): the algorithm comes from the server's server-sig-algs (RFC 8308), the strongest first, as
// OpenSSH picks it; a failure names the algorithms tried.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { FabError, run, settings } from '../../src/index.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import { startCompatSshd } from '../support/compat-hosts.ts';
import { onHost, useTestbed, type Testbed } from '../support/remote.ts';
import type { ExtraSshd } from '../support/sshd.ts';

let tb: Testbed;
let only512: ExtraSshd;
let only256: ExtraSshd;
let rsaKey: string;
before(async () => {
  tb = useTestbed();
  const dir = path.join(tb.dir, 'compat-rsa');
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  rsaKey = path.join(dir, 'id_rsa');
  const made = spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsaKey, '-C', 'fabts-rsa']);
  assert.equal(made.status, 0, String(made.stderr));
  const keys = path.join(dir, 'authorized_keys');
  fs.copyFileSync(`${rsaKey}.pub`, keys);
  fs.chmodSync(keys, 0o644);
  only512 = await startCompatSshd(tb, ['PubkeyAcceptedAlgorithms rsa-sha2-512', `AuthorizedKeysFile ${keys}`]);
  only256 = await startCompatSshd(tb, ['PubkeyAcceptedAlgorithms rsa-sha2-256', `AuthorizedKeysFile ${keys}`]);
});
after(() => {
  only512?.stop();
  only256?.stop();
});
afterEach(() => closeAll());

const withKey = <T>(port: number, fn: () => Promise<T>) =>
  onHost(`127.0.0.1:${port}`, () => settings({ user: tb.user, keyFilename: [rsaKey], hostKeyPolicy: 'off', noKeys: false }, fn));

describe('RSA keys and server-sig-algs', () => {
  it('connects to a server that accepts only rsa-sha2-512', async () => {
    assert.equal(String(await withKey(only512.port, () => run('echo in'))), 'in');
  });

  it('connects to a server that accepts only rsa-sha2-256', async () => {
    assert.equal(String(await withKey(only256.port, () => run('echo in'))), 'in');
  });

  it('a refused RSA key names the algorithm it signed with', async () => {
    const other = path.join(path.dirname(rsaKey), 'id_rsa_other');
    spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', other]);
    const error = await onHost(`127.0.0.1:${only512.port}`, () =>
      settings({ user: tb.user, keyFilename: [other], hostKeyPolicy: 'off' }, () => run('true').then(() => undefined, (e: unknown) => e)),
    );
    assert.ok(error instanceof FabError, String(error));
    assert.match(error.message, /id_rsa_other \(rsa-sha2-512\)/);
  });
});
