import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { quote, shellTemplate } from '../../../../src/ops/quoting/quote.ts';
import { composeCommand, quotePath } from '../../../../src/ops/quoting/compose.ts';
import { ROOT_SCOPE } from '../../../../src/env/context.ts';

const tpl = (strings: TemplateStringsArray, ...values: unknown[]) => shellTemplate(strings, values);
const sh = (command: string) => execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });

const NASTY = [`it's`, `"double"`, '$(touch /tmp/pwned)', '`id`', 'a; rm -rf /', 'line1\nline2', 'ünïcødé ✓', '', ' spaced  out ', '*', '$HOME', '\\'];

test('every nasty value survives a round trip through a real sh as one word of data', () => {
  for (const value of NASTY) {
    assert.equal(sh(`printf %s ${quote(value)}`), value);
  }
});

test('the tagged template quotes each value and spreads arrays as separate words', () => {
  const files = ['a b', "c'd", '$(e)'];
  const out = sh(tpl`for f in ${files}; do printf '[%s]' "$f"; done`);
  assert.equal(out, "[a b][c'd][$(e)]");
});

test('numbers are words too; null and plain objects are refused', () => {
  assert.equal(tpl`echo ${42}`, 'echo 42');
  assert.throws(() => tpl`echo ${null}`, /null/);
  assert.throws(() => tpl`echo ${{ a: 1 }}`, /plain object/);
});

test('quotePath lets ~ expand but quotes the rest', () => {
  assert.equal(quotePath('~'), '"$HOME"');
  assert.equal(sh(`printf %s ${quotePath("~/a b/$(x)")}`), `${process.env.HOME}/a b/$(x)`);
  assert.equal(quotePath('/srv/app'), '/srv/app');
});

test('composeCommand exports variables, changes directory and chains prefixes, all quoted', () => {
  const scope = { ...ROOT_SCOPE, prefixes: ['true', 'export Z=1'], shellEnv: { GREETING: "it's $(bad)" }, paths: [{ dir: '/opt/my bin', behavior: 'append' as const }] };
  const line = composeCommand('printf "%s|%s|%s" "$GREETING" "$PWD" "$Z"; printf "|%s" "$PATH"', scope, { cwd: '/tmp' });
  const [greeting, pwd, z, path] = sh(line).split('|');
  assert.equal(greeting, "it's $(bad)");
  assert.equal(pwd, '/tmp');
  assert.equal(z, '1');
  assert.ok(path!.endsWith(':/opt/my bin'));
});

test('path() prepend and replace', () => {
  const prepend = composeCommand('printf %s "$PATH"', { ...ROOT_SCOPE, paths: [{ dir: '/x', behavior: 'prepend' }] });
  assert.ok(sh(prepend).startsWith('/x:'));
  const replace = composeCommand('printf %s "$PATH"', { ...ROOT_SCOPE, paths: [{ dir: '/y', behavior: 'replace' }] });
  assert.equal(sh(replace), '/y');
});
