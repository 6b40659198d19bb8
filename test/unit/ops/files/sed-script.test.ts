// sed expressions from user text, checked against a real GNU sed run through a real sh (as sed() runs them).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { quote } from '../../../../src/ops/quoting/quote.ts';
import { commentExpression, escapeRegex, escapeReplacementText, sedExpression, uncommentExpression } from '../../../../src/ops/files/sed-script.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-sed-'));

/** Runs the expression as sed() does (sed -E -e EXPR on a file) and returns the result. */
function sed(input: string, expression: string): string {
  const file = path.join(dir, 'f');
  fs.writeFileSync(file, input);
  execFileSync('/bin/sh', ['-c', `sed -i -E -e ${quote(expression)} -- ${quote(file)}`], { cwd: dir });
  return fs.readFileSync(file, 'utf8');
}

test('the expression is Fabric\'s: [/limit/ ]s/before/after/flagsg', () => {
  assert.equal(sedExpression('a', 'b'), 's/a/b/g');
  assert.equal(sedExpression('a', 'b', { flags: 'i', limit: '^x' }), '/^x/ s/a/b/ig');
  assert.equal(sedExpression('a', 'b', { flags: 'gi' }), 's/a/b/gi', 'no second g');
  assert.throws(() => sedExpression('a', 'b', { flags: 'e; rm' }), /sed flags must be letters/);
});

test('/ in before, after and limit is escaped; an already escaped \\/ is left alone', () => {
  assert.equal(sedExpression('/usr/bin', '/opt/bin', { limit: '^/usr' }), '/^\\/usr/ s/\\/usr\\/bin/\\/opt\\/bin/g');
  assert.equal(sedExpression('a\\/b', 'c'), 's/a\\/b/c/g');
  assert.equal(sed('PATH=/usr/bin\nOTHER=/usr/bin\n', sedExpression('/usr/bin', '/opt/bin', { limit: '^PATH' })), 'PATH=/opt/bin\nOTHER=/usr/bin\n');
});

test('shell-special text in the replacement arrives as data; & is the match unless written \\&', () => {
  const nasty = `it's "q" $(touch ${dir}/pwned) \`touch ${dir}/tick\`; ünï ✓`;
  assert.equal(sed('x=old\n', sedExpression('old', nasty)), `x=${nasty}\n`);
  assert.equal(fs.existsSync(`${dir}/pwned`) || fs.existsSync(`${dir}/tick`), false, 'nothing ran');
  assert.equal(sed('x=old\n', sedExpression('old', '[&]')), 'x=[old]\n');
  assert.equal(sed('x=old\n', sedExpression('old', 'a \\& b')), 'x=a & b\n');
  assert.equal(sed('x=old\n', sedExpression('o(l)d', 'L=\\1')), 'x=L=l\n', 'ERE groups and back references');
});

test('a newline in the replacement makes two lines; in the pattern it is \\n', () => {
  assert.equal(sed('a=1\n', sedExpression('a=1', 'a=1\nb=2')), 'a=1\nb=2\n');
  assert.equal(sedExpression('x\ny', 'z'), 's/x\\ny/z/g');
});

test('escapeRegex and escapeReplacementText make text literal', () => {
  const text = 'a.b*c[d]/e^f$g|h(i)+j?k{1}\\l';
  assert.equal(sed(`${text}\n`, sedExpression(escapeRegex(text), escapeReplacementText('&\\1 done'))), '&\\1 done\n');
});

test('comment puts the marker at the start of each matching line; uncomment takes it away', () => {
  const run = ({ before, after, limit }: { before: string; after: string; limit: string }, input: string) => sed(input, sedExpression(before, after, { limit }));
  assert.equal(run(commentExpression('^PasswordAuthentication', '#'), 'PasswordAuthentication yes\nx PasswordAuthentication\n'), '#PasswordAuthentication yes\nx PasswordAuthentication\n');
  assert.equal(run(commentExpression('no$', '//'), 'UseDNS no\nother\n'), '//UseDNS no\nother\n', 'the whole line, wherever the match is');
  assert.equal(run(commentExpression('x', '&\\'), 'x\n'), '&\\x\n', 'the marker is literal');
  assert.equal(run(uncommentExpression('UseDNS', '#'), '  # UseDNS no\n# keep\n'), '  UseDNS no\n# keep\n');
  assert.equal(run(uncommentExpression('a', '//'), '// a\n//b\n'), 'a\n//b\n');
});
