import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextScrubber } from '../../../src/ops/scrub.ts';

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
