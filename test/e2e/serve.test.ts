// `fab serve` on the real test bed, through real HTTP (fetch): trigger, follow, cancel (the remote process is gone),
// reconnect with Last-Event-ID, a 100,000-line run replayed, prompts refused, SIGKILL and restart, drain on SIGTERM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { processesMatching } from '../support/processes.ts';
import { followSse, postJson, startServe, type ServeProcess } from '../support/serve.ts';
import { execProject } from './exec-fixture.ts';

const project = execProject();
appendFileSync(
  join(project.dir, 'fabfile.ts'),
  `
import { prompt } from 'fabts';
export const many = task(async () => { await run('seq 1 100000'); });
export const asks = task(async () => { await prompt('Which branch?'); });
`,
);
let server: ServeProcess;
const base = () => server.url;
let markers = 0;
const marker = () => `${process.pid}${Date.now() % 100_000}${markers++}`;
const remoteSleeps = (id: string) => processesMatching(`sleep 300.${id}`).filter((line) => /^\d+: sleep /.test(line)).length;
type Json = Record<string, any>;

before(async () => {
  server = await startServe(project.dir, project.args([]), ['--data', join(project.dir, 'data')]);
});
after(() => server.stop());

/** Follows a run's events until `until` is true of one of them (by data) or the stream ends. */
async function follow(id: number, until: (event: Json) => boolean = () => false, headers: Record<string, string> = {}) {
  return followSse(`${base()}/api/runs/${id}/events`, { headers }, (message) => (message.event === 'end' ? false : until(JSON.parse(message.data) as Json)));
}

test('trigger and follow: POST -> 201 + Location; SSE carries both hosts\' output in order and ends with "end"; the run has per-host results', async () => {
  const response = await postJson(`${base()}/api/runs`, { tasks: [{ name: 'slow' }], hosts: ['web1', 'web2'] });
  assert.equal(response.status, 201);
  const run = (await response.json()) as Json;
  assert.equal(response.headers.get('location'), `/api/runs/${run.id}`);
  assert.ok(['queued', 'running'].includes(run.state));
  const { status, headers, messages } = await follow(run.id);
  assert.equal(status, 200);
  assert.equal(headers.get('x-accel-buffering'), 'no');
  assert.match(headers.get('content-type') ?? '', /^text\/event-stream/);
  const end = messages.at(-1)!;
  assert.equal(end.event, 'end');
  assert.equal((JSON.parse(end.data) as Json).state, 'ok');
  const events = messages.filter((message) => message.event === undefined).map((message) => JSON.parse(message.data) as Json);
  assert.deepEqual(events.map((event) => event.seq), events.map((_, index) => index + 1), 'sequence numbers from 1 without a gap');
  assert.deepEqual(messages.filter((message) => message.id).map((message) => Number(message.id)), events.map((event) => event.seq));
  for (const host of ['web1', 'web2']) {
    const lines = events.filter((event) => event.kind === 'output' && event.host === host).map((event) => event.text).join('');
    assert.equal(lines, [1, 2, 3, 4, 5, 6].map((i) => `line ${i}\n`).join(''));
  }
  const detail = (await (await fetch(`${base()}/api/runs/${run.id}`)).json()) as Json;
  assert.equal(detail.state, 'ok');
  assert.equal(detail.exitCode, 0);
  assert.deepEqual(detail.results.map((row: Json) => [row.host, row.status, row.exitCode]), [['web1', 'ok', 0], ['web2', 'ok', 0]]);
  assert.deepEqual(detail.hostCounts, { ok: 2 });
  const log = await fetch(`${base()}/api/runs/${run.id}/hosts/web1/log`);
  assert.equal(log.status, 200);
  assert.match(await log.text(), / out: line 6\n/);
});

test('cancel: 202, the run ends cancelled, the remote process is gone; cancelling again is 409, an unknown run 404', async () => {
  const id = marker();
  const created = (await (await postJson(`${base()}/api/runs`, { tasks: [{ name: 'hang', args: { marker: id } }], hosts: ['web1'] })).json()) as Json;
  await follow(created.id, (event) => event.kind === 'output' && /started/.test(event.text));
  for (let tries = 0; remoteSleeps(id) < 1 && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(remoteSleeps(id), 1, 'the remote sleep runs');
  const cancel = await fetch(`${base()}/api/runs/${created.id}/cancel`, { method: 'POST' });
  assert.equal(cancel.status, 202);
  const { messages } = await follow(created.id);
  const end = JSON.parse(messages.at(-1)!.data) as Json;
  assert.equal(end.state, 'cancelled');
  assert.deepEqual(processesMatching(id), [], 'no process with the marker remains on the host');
  assert.equal((await fetch(`${base()}/api/runs/${created.id}/cancel`, { method: 'POST' })).status, 409);
  const unknown = await fetch(`${base()}/api/runs/999999/cancel`, { method: 'POST' });
  assert.equal(unknown.status, 404);
  assert.match(unknown.headers.get('content-type') ?? '', /^application\/problem\+json/);
});

test('two runs of the same task on overlapping hosts: the second gets 409 naming the holder; with Prefer: wait it queues', async () => {
  const id = marker();
  const first = (await (await postJson(`${base()}/api/runs`, { tasks: [{ name: 'hang', args: { marker: id } }], hosts: ['web2'] })).json()) as Json;
  const second = await postJson(`${base()}/api/runs`, { tasks: [{ name: 'hang', args: { marker: id } }], hosts: ['web2', 'web1'] });
  assert.equal(second.status, 409);
  const problem = (await second.json()) as Json;
  assert.equal(problem.holder, first.id);
  assert.match(problem.detail, new RegExp(`run ${first.id} is running the same task on web2`));
  const queued = await postJson(`${base()}/api/runs`, { tasks: [{ name: 'hang', args: { marker: id } }], hosts: ['web2'] }, { prefer: 'wait=1' });
  assert.equal(queued.status, 201);
  const waiting = (await queued.json()) as Json;
  assert.equal(waiting.state, 'queued');
  assert.equal((await fetch(`${base()}/api/runs/${waiting.id}/cancel`, { method: 'POST' })).status, 202);
  assert.equal((await fetch(`${base()}/api/runs/${first.id}/cancel`, { method: 'POST' })).status, 202);
  await follow(first.id);
  assert.equal(((await (await fetch(`${base()}/api/runs/${waiting.id}`)).json()) as Json).state, 'cancelled');
});

test('a 100,000-line run: every line arrives live, and a reconnect with Last-Event-ID (or ?after=) replays exactly the rest', async () => {
  const created = (await (await postJson(`${base()}/api/runs`, { tasks: [{ name: 'many' }], hosts: ['direct'] }, { prefer: 'wait=120' })).json()) as Json;
  assert.equal(created.state, 'ok');
  const { messages } = await follow(created.id);
  const events = messages.filter((message) => message.event === undefined).map((message) => JSON.parse(message.data) as Json);
  const text = events.filter((event) => event.kind === 'output').map((event) => event.text).join('');
  assert.equal(text, `${Array.from({ length: 100_000 }, (_, i) => i + 1).join('\n')}\n`);
  const middle = events[Math.floor(events.length / 2)]!.seq as number;
  const rest = await follow(created.id, () => false, { 'last-event-id': String(middle) });
  const restSeqs = rest.messages.filter((message) => message.id).map((message) => Number(message.id));
  assert.equal(restSeqs[0], middle + 1);
  assert.equal(restSeqs.at(-1), events.at(-1)!.seq);
  assert.equal(restSeqs.length, events.length - middle);
  const viaAfter = await followSse(`${base()}/api/runs/${created.id}/events?after=${middle}`, { headers: { 'last-event-id': String(middle + 10) } });
  assert.equal(Number(viaAfter.messages[0]!.id), middle + 11, 'Last-Event-ID wins over ?after=');
  const done = await fetch(`${base()}/api/runs/${created.id}/events?after=${events.at(-1)!.seq}`, { headers: { accept: 'text/event-stream' } });
  assert.equal(done.status, 204, 'nothing more will come: the EventSource is told to stop');
  const ndjson = await fetch(`${base()}/api/runs/${created.id}/events?after=${middle}&limit=5`, { headers: { accept: 'application/x-ndjson' } });
  assert.deepEqual((await ndjson.text()).trim().split('\n').map((line) => (JSON.parse(line) as Json).seq), [1, 2, 3, 4, 5].map((i) => middle + i));
});

test('?host= keeps that host\'s events and the run-level ones; history filters by host', async () => {
  const created = (await (await postJson(`${base()}/api/runs`, { tasks: [{ name: 'where' }], hosts: ['web1', 'direct'] }, { prefer: 'wait=60' })).json()) as Json;
  const { messages } = await follow(created.id, () => false, {});
  const filtered = await followSse(`${base()}/api/runs/${created.id}/events?host=web1`);
  const hosts = new Set(filtered.messages.filter((message) => message.id).map((message) => (JSON.parse(message.data) as Json).host));
  assert.deepEqual([...hosts].sort(), [undefined, 'web1'].sort());
  assert.ok(filtered.messages.length < messages.length);
  const ids = async (query: string) => ((await (await fetch(`${base()}/api/runs?${query}`)).json()) as Json).runs.map((run: Json) => run.id);
  assert.ok((await ids('host=web1')).includes(created.id), 'history by host finds it');
  assert.ok(!(await ids('host=web2')).includes(created.id));
});

test('a served task that asks a question fails at once with code PROMPT', async () => {
  const response = await postJson(`${base()}/api/runs`, { tasks: [{ name: 'asks' }] }, { prefer: 'wait=60' });
  assert.equal(response.status, 200);
  const run = (await response.json()) as Json;
  assert.equal(run.state, 'failed');
  assert.match(run.error, /asks 'Which branch\?'/);
  const events = (await (await fetch(`${base()}/api/runs/${run.id}/events?format=ndjson`)).text()).trim().split('\n').map((line) => JSON.parse(line) as Json);
  assert.ok(events.some((event) => event.kind === 'task-end' && /--abort-on-prompts|no terminal/.test(event.error ?? '')));
});

test('kill -9 mid-run, restart on the same data: the run is lost (not running), every event seen before is kept, the remote process ends', async () => {
  const data = join(project.dir, `data-kill-${marker()}`);
  const first = await startServe(project.dir, project.args([]), ['--data', data]);
  const id = marker();
  const created = (await (await postJson(`${first.url}/api/runs`, { tasks: [{ name: 'hang', args: { marker: id } }], hosts: ['web1'] })).json()) as Json;
  const seen = await followSse(`${first.url}/api/runs/${created.id}/events`, {}, (message) => /started/.test((JSON.parse(message.data) as Json).text ?? ''));
  first.child.kill('SIGKILL');
  await first.closed;
  for (let tries = 0; processesMatching(id).length > 0 && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(processesMatching(id), [], 'the orphaned run noticed its server was gone and ended the remote command');
  const second = await startServe(project.dir, project.args([]), ['--data', data]);
  try {
    assert.match(second.log(), /1 runs of the last server marked lost/);
    const run = (await (await fetch(`${second.url}/api/runs/${created.id}`)).json()) as Json;
    assert.equal(run.state, 'lost');
    const stored = await followSse(`${second.url}/api/runs/${created.id}/events`);
    const byId = new Map(stored.messages.filter((message) => message.id).map((message) => [message.id, message.data]));
    for (const message of seen.messages) assert.equal(byId.get(message.id), message.data, `event ${message.id} is kept as it was sent`);
    assert.equal(JSON.parse(stored.messages.at(-1)!.data).state, 'lost');
  } finally {
    await second.stop();
  }
});

test('SIGTERM drains: new runs get 503 with Retry-After, the running one finishes, the server exits 0', async () => {
  const own = await startServe(project.dir, project.args([]), ['--data', join(project.dir, `data-drain-${marker()}`)]);
  const created = (await (await postJson(`${own.url}/api/runs`, { tasks: [{ name: 'slow' }], hosts: ['web1'] })).json()) as Json;
  await followSse(`${own.url}/api/runs/${created.id}/events`, {}, (message) => /line 1/.test((JSON.parse(message.data) as Json).text ?? ''));
  const watching = followSse(`${own.url}/api/runs/${created.id}/events`);
  own.child.kill('SIGTERM');
  for (let tries = 0; !/draining/.test(own.log()) && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
  const refused = await postJson(`${own.url}/api/runs`, { tasks: [{ name: 'where' }] });
  assert.equal(refused.status, 503);
  assert.ok(Number(refused.headers.get('retry-after')) > 0);
  assert.equal((await fetch(`${own.url}/healthz`)).status, 503);
  const { messages } = await watching;
  assert.equal(JSON.parse(messages.at(-1)!.data).state, 'ok', 'the running run finished');
  const { code } = await own.closed;
  assert.equal(code, 0);
});
