import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { localFileSystem } from '../../../src/hosts/glob.ts';
import { globWord } from '../../../src/ops/file-access/sudo-scripts/index.ts';
import { hasGlobMagic, matchGlob, segmentRegex } from '../../../src/util/glob.ts';

test('a segment pattern: * and ? stay inside the segment, [...] and [!...] are classes, \\ escapes', () => {
  const cases: [string, string, boolean][] = [
    ['*.log', 'app.log', true],
    ['*.log', 'app.log.1', false],
    ['?.txt', 'a.txt', true],
    ['?.txt', 'ab.txt', false],
    ['[ab]*', 'beta', true],
    ['[!ab]*', 'beta', false],
    ['[!ab]*', 'gamma', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['a.b(c)', 'a.b(c)', true],
    ['a.b', 'axb', false],
  ];
  for (const [pattern, name, expected] of cases) assert.equal(segmentRegex(pattern).test(name), expected, `${pattern} ~ ${name}`);
  assert.equal(hasGlobMagic('/var/log/*.log'), true);
  assert.equal(hasGlobMagic('/var/log/app.log'), false);
});

test('matchGlob walks a file system: sorted, existing paths only, dotfiles only when asked for', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-glob-'));
  for (const name of ['a/x.log', 'a/y.log', 'b/z.log', 'b/.hidden.log', 'c.txt']) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), '');
  }
  assert.deepEqual(await matchGlob(`${dir}/*/*.log`, localFileSystem), [`${dir}/a/x.log`, `${dir}/a/y.log`, `${dir}/b/z.log`]);
  assert.deepEqual(await matchGlob(`${dir}/b/.*.log`, localFileSystem), [`${dir}/b/.hidden.log`]);
  assert.deepEqual(await matchGlob(`${dir}/*/nothing`, localFileSystem), []);
  assert.deepEqual(await matchGlob(`${dir}/[ab]`, localFileSystem), [`${dir}/a`, `${dir}/b`]);
});

test('globWord: the shell expands the pattern parts and nothing else, whatever the literal parts hold', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-globword-'));
  const odd = path.join(dir, `it's $(x) \`y\`; "z"`);
  fs.mkdirSync(odd);
  for (const name of ['a.log', 'b.log', 'c.txt']) fs.writeFileSync(path.join(odd, name), '');
  const expand = (pattern: string) => execFileSync('/bin/sh', ['-c', `for f in ${globWord(pattern)}; do printf '%s\\n' "$f"; done`], { encoding: 'utf8' });
  assert.equal(expand(`${odd}/*.log`), `${odd}/a.log\n${odd}/b.log\n`);
  assert.equal(expand(`${odd}/[!a]*`), `${odd}/b.log\n${odd}/c.txt\n`);
  assert.equal(expand(`${odd}/?.txt`), `${odd}/c.txt\n`);
  assert.equal(expand(`${odd}/*.none`), `${odd}/*.none\n`, 'no match: the pattern itself, which the scripts then skip');
  assert.equal(expand(odd), `${odd}\n`);
});
