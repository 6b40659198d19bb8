// The scripts useSudo transfers run, executed here by a real sh on local files (as the current user instead of root).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { appendScript, installScript, listScript, probeScript, stageScript, NOTHING_MATCHED } from '../../../src/ops/sudo-scripts/index.ts';

const sh = (script: string) => spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), `fabts-script-it's $(x) `));
const mode = (file: string) => fs.statSync(file).mode & 0o7777;

test('probeScript says dir, file or none', () => {
  const dir = scratch();
  fs.writeFileSync(`${dir}/f`, '');
  assert.deepEqual([dir, `${dir}/f`, `${dir}/none`].map((p) => sh(probeScript(p)).stdout), ['dir\n', 'file\n', 'none\n']);
});

test('installScript replaces files keeping their mode, creates new ones 644 or as asked, through symlinks when asked, and reports each', () => {
  const dir = scratch();
  for (const name of ['s1', 's2', 's3', 's4']) fs.writeFileSync(`${dir}/${name}`, `new ${name}`);
  fs.writeFileSync(`${dir}/kept`, 'old', { mode: 0o600 });
  fs.chmodSync(`${dir}/kept`, 0o600);
  fs.writeFileSync(`${dir}/real`, 'old');
  fs.symlinkSync('real', `${dir}/link`);
  const script = installScript(
    [{ path: `${dir}/made/deep`, mode: 0o750, tag: '12345678' }],
    [
      { staged: `${dir}/s1`, target: `${dir}/kept`, mode: undefined, tag: 'aaaaaaaa' },
      { staged: `${dir}/s2`, target: `${dir}/made/deep/fresh`, mode: undefined, tag: 'bbbbbbbb' },
      { staged: `${dir}/s3`, target: `${dir}/asked`, mode: 0o640, tag: 'cccccccc' },
      { staged: `${dir}/s4`, target: `${dir}/link`, mode: undefined, tag: 'dddddddd' },
    ],
    { followLinks: true },
  );
  const result = sh(script);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.split('\0').filter(Boolean), [`600 ${dir}/kept`, `644 ${dir}/made/deep/fresh`, `640 ${dir}/asked`, `644 ${dir}/real`]);
  assert.equal(fs.readFileSync(`${dir}/kept`, 'utf8'), 'new s1');
  assert.equal(mode(`${dir}/kept`), 0o600);
  assert.equal(mode(`${dir}/made/deep`), 0o750);
  assert.equal(mode(`${dir}/made/deep/fresh`), 0o644);
  assert.equal(mode(`${dir}/asked`), 0o640);
  assert.equal(fs.readFileSync(`${dir}/real`, 'utf8'), 'new s4', 'the file the link names is replaced');
  assert.equal(fs.lstatSync(`${dir}/link`).isSymbolicLink(), true, 'the link stays a link');
  assert.deepEqual(fs.readdirSync(dir).filter((name) => name.includes('.fabts-')), []);
});

test('installScript stops at the first failure and leaves no temp file', () => {
  const dir = scratch();
  fs.writeFileSync(`${dir}/staged`, 'x');
  fs.mkdirSync(`${dir}/a-dir`);
  const result = sh(installScript([], [{ staged: `${dir}/staged`, target: `${dir}/a-dir`, mode: undefined, tag: 'eeeeeeee' }, { staged: `${dir}/staged`, target: `${dir}/later`, mode: undefined, tag: 'ffffffff' }], { followLinks: false }));
  assert.equal(result.status, 1);
  assert.match(result.stderr, /is a directory/);
  assert.equal(fs.existsSync(`${dir}/later`), false);
  const missingDir = sh(installScript([], [{ staged: `${dir}/staged`, target: `${dir}/no/such/x`, mode: undefined, tag: 'abababab' }], { followLinks: false }));
  assert.equal(missingDir.status, 1);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['a-dir', 'staged']);
});

test('stageScript copies every match into numbered slots and lists them; nothing matching is its own status', () => {
  const dir = scratch();
  const staging = `${dir}/staging`;
  fs.mkdirSync(staging);
  fs.mkdirSync(`${dir}/src/sub`, { recursive: true });
  fs.writeFileSync(`${dir}/src/a.conf`, 'a');
  fs.writeFileSync(`${dir}/src/sub/b.conf`, 'b');
  const files = sh(stageScript(`${dir}/src/*`, staging));
  assert.equal(files.status, 0, files.stderr);
  assert.deepEqual(files.stdout.split('\0').filter(Boolean), [`${dir}/src/a.conf`, `${dir}/src/sub`]);
  assert.equal(fs.readFileSync(`${staging}/1/x`, 'utf8'), 'a');
  assert.equal(fs.readFileSync(`${staging}/2/x/b.conf`, 'utf8'), 'b');
  assert.equal(sh(stageScript(`${dir}/src/*.none`, `${dir}/staging`)).status, NOTHING_MATCHED);
  assert.deepEqual(sh(listScript(`${dir}/src/*.conf`)).stdout.split('\0').filter(Boolean), [`${dir}/src/a.conf`]);
});

test('appendScript appends lines as data, starting a new line when the file lacks its last newline', () => {
  const dir = scratch();
  fs.writeFileSync(`${dir}/f`, 'no newline');
  const lines = [`it's`, '$(touch pwned)', '`id`', 'a; b', '%s %d \\n'];
  execFileSync('/bin/sh', ['-c', appendScript(`${dir}/f`, lines, true)], { cwd: dir });
  assert.equal(fs.readFileSync(`${dir}/f`, 'utf8'), `no newline\n${lines.join('\n')}\n`);
  assert.equal(fs.existsSync(`${dir}/pwned`), false);
});
