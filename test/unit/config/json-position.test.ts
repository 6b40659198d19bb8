import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonErrorOffset, lineAndColumn } from '../../../src/config/json-position.ts';

// V8's JSON.parse is the oracle: where its message gives a position, the scanner must stop at the same offset;
// where it gives a piece of the text instead (an unexpected token), the scanner must point at that token.
const INVALID = [
  '{"password": "hunter2" "x": 1}',
  '{"a":1,}',
  '{"password": "hun',
  '{"password": "hunter2"}x',
  '{"password": "a\tb"}',
  '[1, 2',
  '{"a" 1}',
  '{"a": 01}',
  '{"a": -}',
  '{"a": 1.}',
  '{"a": 1e}',
  '{"a": "\\q"}',
  '{"a": "\\u12G4"}',
  '',
  '   ',
  '{"a": [1, 2,]}',
  '{\n  "hosts": ["a"],\n}\n',
];

describe('jsonErrorOffset', () => {
  it('stops where JSON.parse says it stopped, whenever JSON.parse gives a position', () => {
    let compared = 0;
    for (const text of INVALID) {
      let message = '';
      try {
        JSON.parse(text);
      } catch (error) {
        message = (error as Error).message;
      }
      assert.notEqual(message, '', `${JSON.stringify(text)} is invalid`);
      const position = /at position (\d+)/.exec(message);
      const offset = jsonErrorOffset(text);
      assert.notEqual(offset, undefined, JSON.stringify(text));
      if (position) {
        assert.equal(offset, Number(position[1]), `${JSON.stringify(text)}: ${message}`);
        compared++;
      } else if (/^Unexpected end of JSON input/.test(message)) {
        assert.equal(offset, text.length, JSON.stringify(text));
      }
    }
    assert.ok(compared >= 8, `compared ${compared} positions`);
  });

  it('points at an unexpected token, for which V8 quotes text instead of a position', () => {
    assert.equal(jsonErrorOffset('{"password": hunter2}'), 13);
    assert.equal(jsonErrorOffset('{"p": tru}'), 9);
    assert.equal(jsonErrorOffset('{"p": nul, "q": 1}'), 9);
  });

  it('finds nothing wrong in valid JSON', () => {
    for (const text of ['{}', '[]', '0', '-1.5e+3', '"\\u00e9\\n"', ' {"a": [true, false, null, {"b": "c"}]} ', '\n[1,2]\n']) {
      assert.equal(jsonErrorOffset(text), undefined, text);
      JSON.parse(text);
    }
  });

  it('lineAndColumn counts from 1', () => {
    assert.deepEqual(lineAndColumn('{\n  "a": x}', 9), { line: 2, column: 8 });
    assert.deepEqual(lineAndColumn('x', 0), { line: 1, column: 1 });
  });
});
