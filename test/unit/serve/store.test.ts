// The store on a real SQLite file: WAL, numbered events, host results, history filters, retention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../../src/serve/store.ts';

const caller = { name: 'test', role: 'run' as const };
const fresh = () => new Store(join(mkdtempSync(join(tmpdir(), 'fabts-store-')), 'data'));

test('WAL mode; events numbered per run from 1, in batches, readable after a sequence number and by host', () => {
  const store = fresh();
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  const a = store.createRun({ tasks: [{ name: 'deploy' }] }, ['web1'], caller, undefined);
  const b = store.createRun({ tasks: [{ name: 'deploy' }] }, ['web2'], caller, undefined);
  assert.equal(store.appendEvents(a.id, [{ kind: 'x' }, { kind: 'output', host: 'web1' }]), 2);
  assert.equal(store.appendEvents(b.id, [{ kind: 'x' }]), 1);
  assert.equal(store.appendEvents(a.id, [{ kind: 'output', host: 'web2' }]), 3);
  assert.deepEqual(store.eventsAfter(a.id, 1, 10).map((row) => row.seq), [2, 3]);
  assert.deepEqual(store.eventsAfter(a.id, 0, 10, 'web1').map((row) => row.seq), [1, 2], 'web1 and the run-level event');
  assert.equal(JSON.parse(store.eventsAfter(a.id, 2, 1)[0]!.data).seq, 3);
  assert.equal(store.get(a.id)!.lastSeq, 3);
  store.close();
});

test('history: newest first, by task name (not a prefix of another), by host, by state, before an id', () => {
  const store = fresh();
  const ids = ['deploy', 'deploy.rollback', 'deploy'].map((name, i) => {
    const run = store.createRun({ tasks: [{ name }] }, [`h${i}`], caller, undefined);
    store.planHost(run.id, 1, name, `h${i}`);
    return run.id;
  });
  store.markFinished(ids[0]!, 'failed', 1, 'boom', null);
  assert.deepEqual(store.list({ limit: 10 }).map((run) => run.id), [...ids].reverse());
  assert.deepEqual(store.list({ task: 'deploy', limit: 10 }).map((run) => run.id), [ids[2], ids[0]]);
  assert.deepEqual(store.list({ task: 'deploy%', limit: 10 }), [], 'LIKE wildcards in a filter are literal');
  assert.deepEqual(store.list({ host: 'h1', limit: 10 }).map((run) => run.id), [ids[1]]);
  assert.deepEqual(store.list({ state: 'failed', limit: 10 }).map((run) => run.id), [ids[0]]);
  assert.deepEqual(store.list({ before: ids[2], limit: 1 }).map((run) => run.id), [ids[1]]);
  store.close();
});

test('retention: finished runs past keep-runs or older than keep-days go with their events and hosts; live runs stay', () => {
  const store = fresh();
  const day = 86_400_000;
  const now = Date.now();
  const runs = [0, 1, 2, 3].map(() => store.createRun({ tasks: [{ name: 't' }] }, ['h'], caller, undefined));
  store.appendEvents(runs[0]!.id, [{ kind: 'x' }]);
  store.planHost(runs[0]!.id, 1, 't', 'h');
  store.markFinished(runs[0]!.id, 'ok', 0, null, null, now - 10 * day);
  store.markFinished(runs[1]!.id, 'ok', 0, null, null, now);
  store.markFinished(runs[2]!.id, 'ok', 0, null, null, now);
  // runs[3] is still queued
  assert.deepEqual(store.prune(1000, 5, now), [runs[0]!.id], 'older than 5 days');
  assert.equal(store.eventsAfter(runs[0]!.id, 0, 10).length, 0);
  assert.deepEqual(store.hosts(runs[0]!.id), []);
  assert.deepEqual(store.prune(1, 30, now), [runs[1]!.id], 'past the newest finished one');
  assert.ok(store.get(runs[3]!.id), 'a live run is never pruned');
  store.close();
});
