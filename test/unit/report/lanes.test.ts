import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KEPT_OUTPUT_LINES, Lane } from '../../../src/report/lanes.ts';

describe('a lane of the terminal view', () => {
  it('shows the last line while running and keeps the last lines of output once done, across chunks', () => {
    const lane = new Lane('web1');
    lane.addOutput('first li');
    lane.addOutput('ne\nsecond\n');
    assert.equal(lane.line, 'second');
    lane.addOutput('no newline at the end');
    assert.equal(lane.outputTail(), 'first line\nsecond\nno newline at the end');
  });

  it('keeps only the last lines, saying how many came before; a \\r-rewritten line keeps its last state', () => {
    const lane = new Lane('web1');
    for (let i = 1; i <= 20; i++) lane.addOutput(`line ${i}\n`);
    lane.addOutput('progress 10%\rprogress 50%\rprogress 100%\n');
    const tail = lane.outputTail().split('\n');
    assert.equal(tail.length, KEPT_OUTPUT_LINES + 1);
    assert.equal(tail[0], `… ${21 - KEPT_OUTPUT_LINES} earlier lines (--linewise or --log-dir shows all)`);
    assert.equal(tail.at(-2), 'line 20');
    assert.equal(tail.at(-1), 'progress 100%');
  });

  it('has no tail when nothing was said', () => {
    assert.equal(new Lane('web1').outputTail(), '');
  });
});

describe('a lane kept short', () => {
  it('keeps fewer lines when asked (many lanes on a small terminal), and none at all for 0', () => {
    const lane = new Lane('web1');
    for (let i = 1; i <= 5; i++) lane.addOutput(`line ${i}\n`);
    assert.equal(lane.outputTail(2), '… 3 earlier lines (--linewise or --log-dir shows all)\nline 4\nline 5');
    assert.equal(lane.outputTail(0), '');
  });
});
