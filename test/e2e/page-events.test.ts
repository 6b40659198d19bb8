// The web page's lane model fed with what the built `fab --events` really writes on the test bed: the field names
// and states the page relies on are the ones the event stream carries.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { applyEvent, newBoard, shownLines, type WireEvent } from '../../src/serve/page/model/lanes.ts';
import { boardView } from '../../src/serve/page/model/run-view.ts';
import { toHtml } from '../../src/serve/page/model/vnode.ts';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fab } from '../support/fab.ts';
import { execProject } from './exec-fixture.ts';

const project = execProject();

function boardOf(file: string) {
  const board = newBoard();
  let seq = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) if (line) applyEvent(board, { seq: ++seq, ...(JSON.parse(line) as WireEvent) }, 0);
  return board;
}

test('a real run on two hosts, one failing, read from fab --events into lanes, states and summary', async () => {
  const file = path.join(project.dir, `events-${process.pid}.jsonl`);
  const out = await project.fab(['--events', file, '-H', 'web1,web2', 'slow', 'fails:hosts=web2']);
  assert.equal(out.code, 1, out.stdout + out.stderr);
  const board = boardOf(file);
  assert.equal(board.tasks.length, 2, 'run-start names the tasks');
  assert.deepEqual(board.groups.map((g) => [g.task, g.lanes.length]), [['slow', 2], ['fails', 1]]);
  for (const host of ['web1', 'web2']) {
    const lane = board.lanes[`${board.groups[0]!.invocation}/${host}`]!;
    assert.equal(lane.state, 'ok');
    assert.deepEqual(shownLines(lane), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
    assert.match(lane.command, /^run: for i in/);
    assert.ok(lane.endT! > lane.startT!, 'durations come from the events\' own times');
  }
  const failed = board.lanes[`${board.groups[1]!.invocation}/web2`]!;
  assert.equal(failed.state, 'failed');
  assert.match(failed.error, /exit code 3|it broke badly/);
  assert.deepEqual(shownLines(failed), ['partial output', 'it broke badly']);
  assert.equal(board.ended, true);
  assert.equal(board.exitCode, 1);
  assert.match(toHtml(boardView(board, { runId: '1' })), /Summary \(exit code 1\)/);
});

test('an interrupted run from fab --events: the lane says interrupted', async () => {
  const file = path.join(project.dir, `events-int-${process.pid}.jsonl`);
  const marker = `${process.pid}${Date.now() % 1_000_000}`;
  let child: ChildProcessWithoutNullStreams | undefined;
  const run = fab(project.args(['--events', file, '-H', 'web1', `hang:marker=${marker}`]), { cwd: project.dir, onSpawn: (c) => (child = c) });
  while (!(fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('"text":"started')) && child?.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50));
  child!.kill('SIGINT');
  const out = await run;
  assert.equal(out.code, 130, out.stdout + out.stderr);
  const board = boardOf(file);
  const lane = Object.values(board.lanes)[0]!;
  assert.equal(lane.state, 'interrupted');
  assert.deepEqual(shownLines(lane), ['started']);
  assert.equal(board.interrupted, true);
  assert.equal(board.exitCode, 130);
});
