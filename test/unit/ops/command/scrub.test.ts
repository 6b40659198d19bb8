import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { LineEnds, TextScrubber } from '../../../../src/ops/command/scrub.ts';

function through(needle: string, chunks: string[]): string[] {
  const scrubber = new TextScrubber(needle);
  return [...chunks.map((chunk) => scrubber.push(chunk)), scrubber.end()];
}

describe('TextScrubber', () => {
  it('removes the needle wherever it appears, keeping everything else in order', () => {
    assert.equal(through('[pw]:', ['a[pw]:b', 'c[pw]:[pw]:d']).join(''), 'abcd');
  });

  it('removes a needle split across chunks, holding back only what could be its start', () => {
    const out = through('[sudo] pw:', ['out [su', 'do] p', 'w:rest']);
    assert.deepEqual(out, ['out ', '', 'rest', '']);
  });

  it('gives back a held tail that turned out not to be the needle', () => {
    assert.deepEqual(through('[sudo]', ['x [su', 'per]']), ['x ', '[super]', '']);
    assert.deepEqual(through('[sudo]', ['ends with [su']), ['ends with ', '[su']);
  });
});

test('with andNewline, the line end after the needle goes too, also when it comes in a later chunk', () => {
  const scrubber = new TextScrubber('[sudo] pw:', true);
  const out = ['[sudo] p', 'w:', '\r', '\nroot\r\n', 'keep\r\n'].map((chunk) => scrubber.push(chunk)).join('') + scrubber.end();
  assert.equal(out.replace(/\r(?=\n)/g, ''), 'root\nkeep\n');
  const same = new TextScrubber('P:', true);
  assert.equal(same.push('P:\nx\nP:\r\ny\n') + same.end(), 'x\ny\n');
});

test('LineEnds turns \\r\\n into \\n across chunks and keeps a lone \\r', () => {
  const ends = new LineEnds();
  assert.equal(['a\r', '\nb\r\n', 'progress\r50%\r', ''].map((chunk) => ends.push(chunk)).join('') + ends.end(), 'a\nb\nprogress\r50%\r');
});
