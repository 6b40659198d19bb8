// Where get() puts each remote file (issue 12, item 6): tokens and remote names never leave the directory named.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FabError } from '../../../../src/errors.ts';
import { localTarget } from '../../../../src/ops/transfer/get-plan.ts';

const cwd = process.cwd();
const refused = (error: unknown) => error instanceof FabError && !/\n/.test(error.message);

describe('localTarget', () => {
  test('the default {host}/{path} lands under the local directory, one tree per host', async () => {
    assert.equal(await localTarget('{host}/{path}', 'deploy@web1:2222', '/var/log/x', false), join(cwd, 'deploy@web1-2222', 'var', 'log', 'x'));
  });

  test('a template starting with {path} or {dirname} asks for the remote path itself', async () => {
    assert.equal(await localTarget('{path}', 'web1', '/var/log/x', false), '/var/log/x');
    assert.equal(await localTarget('{dirname}/copy-{basename}', 'web1', '/var/log/x', false), '/var/log/copy-x');
  });

  test('{host} must be one path component', async () => {
    for (const host of ['evil/../../..', '..', '.', 'a/b']) {
      await assert.rejects(localTarget('{host}/{path}', host, '/srv/x', false), refused, host);
      await assert.rejects(localTarget('/tmp/out/{host}-{basename}', host, '/srv/x', false), refused, host);
    }
  });

  test('whatever the tokens expand to stays under the literal start of the template', async () => {
    await assert.rejects(localTarget('/tmp/out/{basename}', 'web1', '/srv/..', false), refused);
    assert.equal(await localTarget('/tmp/out/{host}/{basename}', 'web1', '/srv/x', false), '/tmp/out/web1/x');
  });

  test('a plain directory target takes the basename, which may not be . or ..', async () => {
    assert.equal(await localTarget('/tmp/out/', 'web1', '/srv/x', false), '/tmp/out/x');
    await assert.rejects(localTarget('/tmp/out/', 'web1', '/srv/..', false), refused);
    await assert.rejects(localTarget('/tmp/out', 'web1', '/', true), refused);
  });
});
