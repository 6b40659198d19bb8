import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MissingVariable, renderTemplate } from '../../../../src/ops/files/template.ts';

test('placeholders fill from the context, with or without spaces, nested names too', () => {
  const context = { name: 'web', port: 8080, tls: false, app: { root: '/srv/app', deep: { x: 'y' } } };
  assert.equal(renderTemplate('{{ name }}:{{port}} {{  tls  }} {{ app.root }} {{app.deep.x}}', context), 'web:8080 false /srv/app y');
});

test('values are inserted as text, never interpreted: no second pass over what was inserted', () => {
  assert.equal(renderTemplate('{{ a }}', { a: '{{ b }} $(x) `y` \\n', b: 'NO' }), '{{ b }} $(x) `y` \\n');
});

test('a missing variable (undefined or null) is an error naming it and its line', () => {
  assert.throws(
    () => renderTemplate('one\ntwo {{ ok }}\nthree {{ missing.key }}\n', { ok: 1 }),
    (error: MissingVariable) => error instanceof MissingVariable && error.variable === 'missing.key' && error.line === 3,
  );
  assert.throws(() => renderTemplate('{{ a }}', { a: null }), /\{\{ a \}\} on line 1 is not in the context/);
  assert.throws(() => renderTemplate('{{ constructor }}', {}), MissingVariable, 'only own properties count');
});

test('\\{{ writes a literal {{; anything that is not a name stays as written', () => {
  assert.equal(renderTemplate('\\{{ name }} {% if x %} {{ 1 + 1 }} {x}', { name: 'n' }), '{{ name }} {% if x %} {{ 1 + 1 }} {x}');
});

test('objects render as JSON, dates as text', () => {
  assert.equal(renderTemplate('{{ list }} {{ obj }}', { list: [1, 'a'], obj: { k: 1 } }), '[1,"a"] {"k":1}');
  const date = new Date(0);
  assert.equal(renderTemplate('{{ d }}', { d: date }), String(date));
});
