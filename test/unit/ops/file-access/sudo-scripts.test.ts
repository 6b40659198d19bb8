// The scripts useSudo transfers run, executed here by a real sh on local files (as the current user instead of root).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { quote } from '../../../../src/ops/quoting/quote.ts';
import { appendScript, backupScript, installScript, listScript, parseStagedModes, probeScript, stageScript, NOTHING_MATCHED } from '../../../../src/ops/file-access/sudo-scripts/index.ts';

const sh = (script: string) => spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), `fabts-script-it's $(x) `));
const mode = (file: string) => fs.statSync(file).mode & 0o7777;

test('probeScript says dir (a link to one too), link, file or none', () => {
  const dir = scratch();
  fs.writeFileSync(`${dir}/f`, '');
  fs.symlinkSync('f', `${dir}/to-file`);
  fs.symlinkSync('.', `${dir}/to-dir`);
  fs.symlinkSync('nowhere', `${dir}/dangling`);
  const paths = [dir, `${dir}/to-dir`, `${dir}/to-file`, `${dir}/dangling`, `${dir}/f`, `${dir}/none`];
  assert.deepEqual(paths.map((p) => sh(probeScript(p)).stdout), ['dir\n', 'dir\n', 'link\n', 'link\n', 'file\n', 'none\n']);
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

test('installScript refuses a target that is a symlink unless followLinks, writing nothing', () => {
  const dir = scratch();
  fs.writeFileSync(`${dir}/staged`, 'new');
  fs.writeFileSync(`${dir}/real`, 'old');
  fs.symlinkSync('real', `${dir}/link`);
  const result = sh(installScript([], [{ staged: `${dir}/staged`, target: `${dir}/link`, mode: undefined, tag: '0a0a0a0a' }], { followLinks: false }));
  assert.equal(result.status, 1);
  assert.equal(result.stderr, `fabts: ${dir}/link is a symbolic link; useSudo does not write through links (another user may have planted it): give the path it points to, or { followLinks: true }\n`);
  assert.equal(fs.readFileSync(`${dir}/real`, 'utf8'), 'old');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['link', 'real', 'staged']);
});

test('installScript checks a directory it made is still that directory before writing into it', () => {
  const dir = scratch();
  fs.writeFileSync(`${dir}/staged`, 'x');
  fs.mkdirSync(`${dir}/elsewhere`);
  // As if another user had swapped the new directory between make_dir and install_file: d_0 names another inode.
  const script = installScript([{ path: `${dir}/made`, mode: undefined, tag: '0b0b0b0b' }], [{ staged: `${dir}/staged`, target: `${dir}/made/x`, mode: undefined, tag: '0c0c0c0c' }], { followLinks: false });
  const swapped = script.replace(/^(d_0=.*)$/m, `$1; rmdir ${quote(`${dir}/made`)} && ln -s elsewhere ${quote(`${dir}/made`)}`);
  const result = sh(swapped);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /^fabts: .*\/made was replaced while in use \(can another user write there\?\); nothing was written\n$/);
  assert.deepEqual(fs.readdirSync(`${dir}/elsewhere`), []);

  // The same for a directory made inside one made just before.
  const nested = installScript(
    [
      { path: `${dir}/top`, mode: undefined, tag: '0d0d0d0d' },
      { path: `${dir}/top/sub`, mode: undefined, tag: '0e0e0e0e' },
    ],
    [],
    { followLinks: false },
  ).replace(/^(d_0=.*)$/m, `$1; rmdir ${quote(`${dir}/top`)} && ln -s elsewhere ${quote(`${dir}/top`)}`);
  const nestedResult = sh(nested);
  assert.equal(nestedResult.status, 1);
  assert.match(nestedResult.stderr, /\/top was replaced while in use/);
  assert.deepEqual(fs.readdirSync(`${dir}/elsewhere`), []);
});

test('backupScript copies to <file>.bak keeping mode, replaces a link found there, refuses a linked file unless asked', () => {
  const dir = scratch();
  fs.writeFileSync(`${dir}/app.conf`, 'old', { mode: 0o640 });
  fs.chmodSync(`${dir}/app.conf`, 0o640);
  fs.writeFileSync(`${dir}/victim`, 'victim');
  fs.symlinkSync('victim', `${dir}/app.conf.bak`);
  const first = sh(backupScript(`${dir}/app.conf`, '0d0d0d0d', { followLinks: false }));
  assert.equal(first.status, 0, first.stderr);
  assert.equal(fs.readFileSync(`${dir}/victim`, 'utf8'), 'victim', 'the link was not written through');
  assert.equal(fs.lstatSync(`${dir}/app.conf.bak`).isFile(), true);
  assert.equal(fs.readFileSync(`${dir}/app.conf.bak`, 'utf8'), 'old');
  assert.equal(mode(`${dir}/app.conf.bak`), 0o640);
  fs.symlinkSync('app.conf', `${dir}/link.conf`);
  const refused = sh(backupScript(`${dir}/link.conf`, '0e0e0e0e', { followLinks: false }));
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /link\.conf is a symbolic link/);
  fs.writeFileSync(`${dir}/app.conf`, 'newer');
  assert.equal(sh(backupScript(`${dir}/link.conf`, '0f0f0f0f', { followLinks: true })).status, 0);
  assert.equal(fs.readFileSync(`${dir}/app.conf.bak`, 'utf8'), 'newer', 'followed: the named file is backed up beside itself');
  assert.equal(sh(backupScript(`${dir}/none`, '1a1a1a1a', { followLinks: false })).status, 0, 'nothing to back up');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['app.conf', 'app.conf.bak', 'link.conf', 'victim']);
});

test('stageScript and listScript never match . or ..', () => {
  const dir = scratch();
  fs.mkdirSync(`${dir}/src`);
  fs.writeFileSync(`${dir}/src/.hidden`, 'h');
  fs.mkdirSync(`${dir}/staging`);
  assert.deepEqual(sh(listScript(`${dir}/src/.*`)).stdout.split('\0').filter(Boolean), [`${dir}/src/.hidden`]);
  assert.deepEqual(sh(listScript(`${dir}/src/.*/..`)).stdout, '');
  const staged = sh(stageScript(`${dir}/src/.*`, `${dir}/staging`));
  assert.equal(staged.status, 0, staged.stderr);
  assert.deepEqual(staged.stdout.split('\0').filter(Boolean), [`${dir}/src/.hidden`]);
  assert.deepEqual(fs.readdirSync(`${dir}/staging`), ['1']);
});

test('parseStagedModes reads the mode list into full staged paths', () => {
  const modes = parseStagedModes('/tmp/s', '600 ./1/x\n755 ./2/x/bin\n4755 ./2/x/bin/tool\nnot a line\n');
  assert.deepEqual([...modes], [['/tmp/s/1/x', 0o600], ['/tmp/s/2/x/bin', 0o755], ['/tmp/s/2/x/bin/tool', 0o4755]]);
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

test('appendScript appends lines as data, starting a new line when the file lacks its last newline, keeping mode', () => {
  const dir = scratch();
  fs.writeFileSync(`${dir}/f`, 'no newline', { mode: 0o640 });
  fs.chmodSync(`${dir}/f`, 0o640);
  const lines = [`it's`, '$(touch pwned)', '`id`', 'a; b', '%s %d \\n'];
  execFileSync('/bin/sh', ['-c', appendScript(`${dir}/f`, lines, true, '6a6a6a6a')], { cwd: dir });
  assert.equal(fs.readFileSync(`${dir}/f`, 'utf8'), `no newline\n${lines.join('\n')}\n`);
  assert.equal(mode(`${dir}/f`), 0o640);
  assert.equal(fs.existsSync(`${dir}/pwned`), false);
  execFileSync('/bin/sh', ['-c', appendScript(`${dir}/new`, ['x'], false, '6b6b6b6b')], { cwd: dir });
  assert.equal(fs.readFileSync(`${dir}/new`, 'utf8'), 'x\n');
  assert.equal(mode(`${dir}/new`), 0o644);
  fs.symlinkSync('f', `${dir}/link`);
  const refused = spawnSync('/bin/sh', ['-c', appendScript(`${dir}/link`, ['y'], false, '6c6c6c6c')], { encoding: 'utf8' });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /link is a symbolic link; useSudo does not write through links \(another user may have planted it\): give the path it points to\n$/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['f', 'link', 'new']);
});

test('the write scripts need nothing beyond busybox (stat -c, mv -T, readlink -f)', (t) => {
  if (!fs.existsSync('/bin/busybox')) return t.skip('busybox is not installed');
  const dir = scratch();
  const bin = `${dir}/bin`;
  fs.mkdirSync(bin);
  for (const applet of ['sh', 'stat', 'mv', 'cat', 'chmod', 'chown', 'mkdir', 'rmdir', 'rm', 'ls', 'readlink', 'id', 'cp']) fs.symlinkSync('/bin/busybox', `${bin}/${applet}`);
  fs.writeFileSync(`${dir}/staged`, 'new');
  fs.writeFileSync(`${dir}/old`, 'old', { mode: 0o600 });
  fs.chmodSync(`${dir}/old`, 0o600);
  fs.symlinkSync('old', `${dir}/link`);
  const script = [
    backupScript(`${dir}/old`, '5a5a5a5a', { followLinks: false }),
    installScript(
      [{ path: `${dir}/made`, mode: 0o750, tag: '5b5b5b5b' }],
      [
        { staged: `${dir}/staged`, target: `${dir}/link`, mode: undefined, tag: '5c5c5c5c' },
        { staged: `${dir}/staged`, target: `${dir}/made/f`, mode: 0o640, tag: '5d5d5d5d' },
      ],
      { followLinks: true },
    ),
  ].join('\n');
  const result = spawnSync(`${bin}/sh`, ['-c', script], { encoding: 'utf8', env: { PATH: bin } });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.split('\0').filter(Boolean), [`600 ${dir}/old`, `640 ${dir}/made/f`]);
  assert.equal(fs.readFileSync(`${dir}/old.bak`, 'utf8'), 'old');
  assert.equal(fs.readFileSync(`${dir}/old`, 'utf8'), 'new');
  assert.equal(mode(`${dir}/old`), 0o600);
  assert.equal(mode(`${dir}/made`), 0o750);
  assert.deepEqual(fs.readdirSync(dir).filter((name) => name.includes('.fabts-')), []);
});
