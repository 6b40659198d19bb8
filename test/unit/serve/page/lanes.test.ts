import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent, type BoardModel, LANE_LINES, LINE_CHARS, newBoard, shownLines, summarize, type WireEvent } from '../../../../src/serve/page/model/lanes.ts';

let seq = 0;
function feed(board: BoardModel, ...events: WireEvent[]): BoardModel {
  for (const event of events) applyEvent(board, { seq: ++seq, time: new Date(1000 * seq).toISOString(), ...event }, 0);
  return board;
}
const plan = (task: string, invocation: number, hosts: string[], parent?: object): WireEvent => ({ kind: 'task-plan', task, invocation, hosts, concurrency: hosts.length, ...(parent ? { parent } : {}) });
const start = (task: string, invocation: number, host: string): WireEvent => ({ kind: 'task-start', task, invocation, host });
const end = (task: string, invocation: number, host: string, status: string, extra: object = {}): WireEvent => ({ kind: 'task-end', task, invocation, host, status, ok: status === 'ok', durationMs: 5, ...extra });
const out = (host: string, text: string): WireEvent => ({ kind: 'output', host, stream: 'stdout', text, hidden: false });

describe('the run page lane model', () => {
  it('gives each planned host a lane that goes queued, running, then ok or failed with its error', () => {
    const board = feed(newBoard(), { kind: 'run-start', tasks: ['deploy'] }, plan('deploy', 1, ['web1', 'web2']));
    assert.deepEqual(Object.values(board.lanes).map((l) => [l.host, l.state]), [['web1', 'queued'], ['web2', 'queued']]);
    feed(board, start('deploy', 1, 'web1'), start('deploy', 1, 'web2'));
    assert.equal(board.lanes['1/web1']!.state, 'running');
    feed(board, { kind: 'command', host: 'web1', runner: 'run', command: 'uptime', hidden: false });
    assert.equal(board.lanes['1/web1']!.command, 'run: uptime');
    feed(board, end('deploy', 1, 'web1', 'ok'), end('deploy', 1, 'web2', 'failed', { error: 'exit 3', detail: 'run: false\nexit code 3' }));
    assert.equal(board.lanes['1/web1']!.state, 'ok');
    assert.equal(board.lanes['1/web2']!.state, 'failed');
    assert.equal(board.lanes['1/web2']!.error, 'run: false\nexit code 3');
    assert.deepEqual(summarize(board).counts, { queued: 0, running: 0, ok: 1, failed: 1, skipped: 0, interrupted: 0 });
  });

  it('puts output in the lane of the host, across chunks, a \\r-rewritten line as its last state, hidden output left out', () => {
    const board = feed(newBoard(), plan('info', 1, ['web1', 'web2']), start('info', 1, 'web1'), start('info', 1, 'web2'));
    feed(board, out('web1', 'first li'), out('web2', 'other\n'), out('web1', 'ne\nprogress 10%\rprogress 100%\nhalf'));
    feed(board, { kind: 'output', host: 'web1', stream: 'stdout', text: 'secret\n', hidden: true });
    assert.deepEqual(shownLines(board.lanes['1/web1']!), ['first line', 'progress 100%', 'half']);
    assert.deepEqual(shownLines(board.lanes['1/web2']!), ['other']);
  });

  it('keeps only the last lines and clips endless ones, while counting them all', () => {
    const board = feed(newBoard(), plan('t', 1, ['h']), start('t', 1, 'h'));
    for (let i = 1; i <= 1000; i++) feed(board, out('h', `line ${i}\n`));
    feed(board, out('h', `${'x'.repeat(LINE_CHARS * 5)}\n`), out('h', 'y'.repeat(LINE_CHARS * 10)));
    const lane = board.lanes['1/h']!;
    assert.equal(lane.lines.length, LANE_LINES);
    assert.equal(lane.lineCount, 1001);
    assert.equal(lane.lines.at(-2), `line 1000`);
    assert.equal(lane.lines.at(-1)!.length, LINE_CHARS + 1);
    assert.ok(lane.partial.length <= LINE_CHARS * 2);
    assert.ok(JSON.stringify(board).length < (LANE_LINES + 3) * LINE_CHARS * 2, 'the board stays small whatever the host prints');
  });

  it('shows transfer progress with bytes and a rate from the events\' own times', () => {
    const board = feed(newBoard(), plan('up', 1, ['web1']), start('up', 1, 'web1'));
    const transfer = (bytes: number, t: number, done = false): WireEvent => ({ kind: 'transfer', seq: ++seq, time: new Date(t).toISOString(), host: 'web1', direction: 'put', local: '/tmp/app.tgz', remote: '/srv/app.tgz', bytes, total: 4_000_000, done });
    applyEvent(board, transfer(0, 10_000), 0);
    applyEvent(board, transfer(2_000_000, 12_000), 999_999);
    const [item] = board.lanes['1/web1']!.transfers;
    assert.deepEqual({ name: item!.name, bytes: item!.bytes, total: item!.total, rate: item!.rate, done: item!.done }, { name: 'app.tgz', bytes: 2_000_000, total: 4_000_000, rate: 1_000_000, done: false });
    applyEvent(board, transfer(4_000_000, 14_000, true), 0);
    assert.equal(board.lanes['1/web1']!.transfers[0]!.done, true);
  });

  it('ends lanes still running as interrupted and lanes never started as skipped when the run ends', () => {
    const board = feed(newBoard(), plan('long', 1, ['web1', 'web2']), start('long', 1, 'web1'), { kind: 'interrupt' });
    assert.equal(board.interrupted, true);
    feed(board, end('long', 1, 'web1', 'interrupted', { error: 'interrupted' }), { kind: 'run-end', exitCode: 130 });
    assert.equal(board.lanes['1/web1']!.state, 'interrupted');
    assert.equal(board.lanes['1/web2']!.state, 'skipped');
    assert.equal(board.ended, true);
    assert.equal(board.exitCode, 130);
  });

  it('reports a nested execute() into the lane of the task that called it, prefixed with its host', () => {
    const board = feed(newBoard(), plan('outer', 1, ['web1']), start('outer', 1, 'web1'));
    feed(board, plan('inner', 2, ['db'], { invocation: 1, host: 'web1' }), start('inner', 2, 'db'), out('db', 'migrated\n'), end('inner', 2, 'db', 'ok'));
    feed(board, out('web1', 'back\n'));
    const lane = board.lanes['1/web1']!;
    assert.deepEqual(lane.lines, ['[db] migrated', 'back']);
    assert.equal(lane.note, 'execute inner on db: ok');
    assert.equal(Object.keys(board.lanes).length, 1);
  });

  it('ignores an event it has already applied (a reconnect that replays from an earlier sequence number)', () => {
    const board = newBoard();
    applyEvent(board, { seq: 1, ...plan('t', 1, ['h']) }, 0);
    applyEvent(board, { seq: 2, ...start('t', 1, 'h') }, 0);
    applyEvent(board, { seq: 3, ...out('h', 'once\n') }, 0);
    applyEvent(board, { seq: 3, ...out('h', 'once\n') }, 0);
    applyEvent(board, { seq: 2, ...out('h', 'once\n') }, 0);
    assert.deepEqual(board.lanes['1/h']!.lines, ['once']);
    assert.equal(board.seq, 3);
  });

  it('is a plain value: a board rebuilt from its JSON goes on exactly like the original', () => {
    const a = feed(newBoard(), plan('t', 1, ['h']), start('t', 1, 'h'), out('h', 'one\ntw'));
    const b = JSON.parse(JSON.stringify(a)) as BoardModel;
    const rest: WireEvent[] = [out('h', 'o\n'), end('t', 1, 'h', 'ok'), { kind: 'run-end', exitCode: 0 }];
    for (const event of rest) {
      const e = { seq: ++seq, time: new Date(5).toISOString(), ...event };
      applyEvent(a, e, 0);
      applyEvent(b, e, 0);
    }
    assert.deepEqual(b, a);
    assert.deepEqual(b.lanes['1/h']!.lines, ['one', 'two']);
  });

  it('gives a local-only task one lane', () => {
    const board = feed(newBoard(), plan('build', 1, []), { kind: 'task-start', task: 'build', invocation: 1 }, { kind: 'output', stream: 'stdout', text: 'built\n', hidden: false });
    assert.deepEqual(shownLines(board.lanes['1/']!), ['built']);
  });
});
