import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandFailed, lastRunPath, readLastRun, writeLastRun } from '../../../src/exec/last-run.ts';

test('@failed expands to the failed hosts of the last run recorded in the project\'s .fab/', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fabts-lastrun-'));
  assert.throws(() => expandFailed(['@failed'], dir), /no earlier run is recorded/);
  assert.deepEqual(expandFailed(['web1'], dir), ['web1'], 'no @failed, nothing read');
  writeLastRun(dir, { tasks: ['deploy'], exitCode: 1, hosts: ['web1', 'web2', 'web3'], failed: ['web2', 'web3'] });
  assert.deepEqual(expandFailed(['@failed'], dir), ['web2', 'web3']);
  assert.deepEqual(expandFailed(['web9', '@failed'], dir), ['web9', 'web2', 'web3']);
  assert.equal(statSync(lastRunPath(dir)).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dir, '.fab', '.gitignore'), 'utf8'), '*\n', '.fab/ keeps itself out of git');
  writeLastRun(dir, { tasks: ['deploy'], exitCode: 0, hosts: ['web2'], failed: [] });
  assert.deepEqual(readLastRun(dir)?.failed, []);
  assert.deepEqual(expandFailed(['@failed'], dir), []);
});
