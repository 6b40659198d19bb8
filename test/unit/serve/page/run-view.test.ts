import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent, LANE_LINES, newBoard } from '../../../../src/serve/page/model/lanes.ts';
import { boardView, OPEN_LANES_UP_TO } from '../../../../src/serve/page/model/run-view.ts';
import { h, toHtml, type VNode } from '../../../../src/serve/page/model/vnode.ts';

function count(node: VNode | string, test: (n: VNode) => boolean): number {
  if (typeof node === 'string') return 0;
  return (test(node) ? 1 : 0) + node.children.reduce((sum, child) => sum + count(child, test), 0);
}

describe('the run page markup', () => {
  it('writes what a host prints as text, never as markup', () => {
    const board = newBoard();
    let seq = 0;
    for (const event of [
      { kind: 'task-plan', task: 'x', invocation: 1, hosts: ['web1'] },
      { kind: 'task-start', task: 'x', invocation: 1, host: 'web1' },
      { kind: 'command', host: 'web1', runner: 'run', command: 'echo "<b>"', hidden: false },
      { kind: 'output', host: 'web1', stream: 'stdout', text: '<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n', hidden: false },
    ]) applyEvent(board, { seq: ++seq, ...event }, 0);
    const html = toHtml(boardView(board, { runId: '7' }));
    assert.ok(!html.includes('<script>') && !html.includes('<img'), html);
    assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
    assert.ok(html.includes('echo &#34;&#60;b&#62;&#34;'));
  });

  it('refuses tag and attribute names that are not its own, and event handler attributes', () => {
    assert.throws(() => toHtml(h('img src=x', null)));
    assert.throws(() => toHtml(h('a', { onclick: 'x' })));
    assert.equal(toHtml(h('a', { href: '/runs/"x"', hidden: false, open: true }, 'a&b')), '<a href="/runs/&#34;x&#34;" open>a&#38;b</a>');
  });

  it('stays the same size however much 200 hosts print: lanes collapse and each shows at most its last lines', () => {
    const board = newBoard();
    const hosts = Array.from({ length: 200 }, (_, i) => `host${i}`);
    let seq = 0;
    applyEvent(board, { seq: ++seq, kind: 'task-plan', task: 'big', invocation: 1, hosts }, 0);
    for (const host of hosts) applyEvent(board, { seq: ++seq, kind: 'task-start', task: 'big', invocation: 1, host }, 0);
    const sizes: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 50_000; i++) applyEvent(board, { seq: ++seq, kind: 'output', host: hosts[i % 200], stream: 'stdout', text: `line ${i} of round ${round}\n`, hidden: false }, 0);
      const view = boardView(board, { runId: '1' });
      sizes.push(count(view, () => true));
      assert.equal(count(view, (n) => n.tag === 'details' && n.attrs.open === true), 0, `more than ${OPEN_LANES_UP_TO} lanes start collapsed`);
      const pre = toHtml(view).match(/<pre[^>]*>([^<]*)<\/pre>/)![1]!;
      assert.equal(pre.split('\n').length, LANE_LINES);
    }
    assert.equal(sizes[0], sizes[1], 'the tree does not grow with the output');
  });
});
