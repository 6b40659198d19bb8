import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponderSet, respond, failOn } from '../../../../src/ops/command/responders.ts';

test('a prompt split across chunks still matches once it is complete', () => {
  const set = new ResponderSet([respond(/Proceed\? \[y\/N\]/, 'y\n')]);
  assert.equal(set.feed('stdout', 'Install? Proc').length, 0);
  const matches = set.feed('stdout', 'eed? [y/N] ');
  assert.equal(matches.length, 1);
  assert.equal(matches[0]!.responder.answer, 'y\n');
});

test('a responder answers each new appearance, never the same output twice', () => {
  const set = new ResponderSet([respond('Password:', 'secret\n')]);
  assert.equal(set.feed('stderr', 'Password:').length, 1);
  assert.equal(set.feed('stderr', ' wrong\n').length, 0);
  assert.equal(set.feed('stderr', 'Password:').length, 1);
});

test('once: true answers only the first time', () => {
  const set = new ResponderSet([respond('?', 'y\n', { once: true })]);
  assert.equal(set.feed('stdout', '? ? ?').length, 1);
  assert.equal(set.feed('stdout', '?').length, 0);
});

test('streams are watched separately', () => {
  const set = new ResponderSet([respond('ok', 'x')]);
  set.feed('stdout', 'o');
  assert.equal(set.feed('stderr', 'k').length, 0, 'half a word on each stream is no match');
});

test('failOn matches like a responder and is marked fail', () => {
  const set = new ResponderSet([failOn(/denied/i)]);
  const [match] = set.feed('stderr', 'Permission DENIED');
  assert.equal(match?.responder.fail, true);
});

test('a long stream without matches keeps a bounded window and still matches at its end', () => {
  const set = new ResponderSet([respond('END', '')]);
  for (let i = 0; i < 200; i++) assert.equal(set.feed('stdout', 'x'.repeat(10_000)).length, 0);
  assert.equal(set.feed('stdout', 'EN').length + set.feed('stdout', 'D').length, 1);
});
