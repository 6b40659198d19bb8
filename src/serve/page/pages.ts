// The pages a browser GETs, all drawn on the server (history and logs read without JavaScript).
import type { FastifyInstance } from 'fastify';
import { callApi, parseJson, problemLine } from './api-client.ts';
import { applyEvent, type BoardModel, newBoard, type WireEvent } from './model/lanes.ts';
import { PAGE_ROUTE, type PageKit } from './kit.ts';
import { historyPage, type HistoryFilter } from './views/history.ts';
import { loginPage } from './views/login.ts';
import { logPage } from './views/log.ts';
import { runPage } from './views/run.ts';
import type { RunInfo } from './views/runs.ts';
import { type TaskInfo, tasksPage } from './views/tasks.ts';

/** Bytes of a log the log page shows at first: its end. */
export const LOG_TAIL_BYTES = 64 * 1024;
const HISTORY_PAGE = 50;
const REPLAY_BATCH = 5000;

const one = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The run's stored events so far, replayed into the lane model (in batches: a run of 100,000 lines is never one
 * array); the browser follows the stream from the last one.
 */
function replay(app: FastifyInstance, id: number): BoardModel {
  const board = newBoard();
  const now = Date.now();
  for (let after = 0; ; ) {
    const rows = app.fab.runs.store.eventsAfter(id, after, REPLAY_BATCH);
    for (const row of rows) applyEvent(board, { ...(JSON.parse(row.data) as WireEvent), seq: row.seq }, now);
    if (rows.length < REPLAY_BATCH) return board;
    after = rows[rows.length - 1]!.seq;
  }
}

export function registerPages(app: FastifyInstance, kit: PageKit): void {
  app.get('/login', PAGE_ROUTE, (request, reply) => {
    const next = one((request.query as Record<string, unknown>).next) ?? '/';
    return kit.send(reply, 200, loginPage(next));
  });

  app.get('/', PAGE_ROUTE, async (request, reply) => {
    const session = kit.session(request, reply);
    if (!session) return kit.toLogin(request, reply);
    const ctx = { title: 'Tasks', csrf: session.csrf, canRun: session.role === 'run' };
    const answer = await callApi(app, request, session, 'GET', '/api/tasks');
    if (answer.status !== 200) return kit.send(reply, answer.status, tasksPage(ctx, [], [], problemLine(answer)));
    const doc = parseJson<{ tasks?: TaskInfo[]; roledefs?: Record<string, unknown> } | TaskInfo[]>(answer);
    const tasks = Array.isArray(doc) ? doc : (doc.tasks ?? []);
    const roles = Array.isArray(doc) ? [] : Object.keys(doc.roledefs ?? {});
    return kit.send(reply, 200, tasksPage(ctx, tasks, roles));
  });

  app.get('/runs', PAGE_ROUTE, async (request, reply) => {
    const session = kit.session(request, reply);
    if (!session) return kit.toLogin(request, reply);
    const query = request.query as Record<string, unknown>;
    const filter: HistoryFilter = { task: one(query.task), host: one(query.host), state: one(query.state) };
    const params = new URLSearchParams({ limit: String(HISTORY_PAGE) });
    for (const [key, value] of Object.entries({ ...filter, before: one(query.before) })) if (value) params.set(key, value);
    const ctx = { title: 'History', csrf: session.csrf, canRun: session.role === 'run' };
    const answer = await callApi(app, request, session, 'GET', `/api/runs?${params}`);
    if (answer.status !== 200) return kit.send(reply, answer.status, historyPage(ctx, [], filter, undefined, problemLine(answer)));
    const doc = parseJson<{ runs?: RunInfo[]; next?: string | null }>(answer);
    const runs = doc.runs ?? [];
    const last = runs[runs.length - 1];
    let older: string | undefined;
    if (doc.next && last) {
      const next = new URLSearchParams(params);
      next.delete('limit');
      next.set('before', String(last.id));
      older = `/runs?${next}`;
    }
    return kit.send(reply, 200, historyPage(ctx, runs, filter, older));
  });

  app.get('/runs/:id', PAGE_ROUTE, async (request, reply) => {
    const session = kit.session(request, reply);
    if (!session) return kit.toLogin(request, reply);
    const id = encodeURIComponent((request.params as { id: string }).id);
    const ctx = { title: `Run ${decodeURIComponent(id)}`, csrf: session.csrf, canRun: session.role === 'run' };
    const answer = await callApi(app, request, session, 'GET', `/api/runs/${id}`);
    if (answer.status !== 200) return kit.send(reply, answer.status, historyPage({ ...ctx, title: 'Run' }, [], {}, undefined, problemLine(answer)));
    const run = parseJson<RunInfo>(answer);
    return kit.send(reply, 200, runPage(ctx, run, replay(app, Number(run.id))));
  });

  app.get('/runs/:id/log/:host', PAGE_ROUTE, async (request, reply) => {
    const session = kit.session(request, reply);
    if (!session) return kit.toLogin(request, reply);
    const { id, host } = request.params as { id: string; host: string };
    const apiHref = `/api/runs/${encodeURIComponent(id)}/hosts/${encodeURIComponent(host)}/log`;
    const ctx = { title: `Log of ${host}`, csrf: session.csrf, canRun: session.role === 'run' };
    const answer = await callApi(app, request, session, 'GET', apiHref, { headers: { range: `bytes=-${LOG_TAIL_BYTES}`, accept: 'text/plain' } });
    let tail = { text: '', start: 0, size: 0 };
    if (answer.status === 206) {
      const range = /bytes (\d+)-(\d+)\/(\d+)/.exec(String(answer.headers['content-range'] ?? ''));
      tail = { text: answer.body, start: Number(range?.[1] ?? 0), size: Number(range?.[3] ?? answer.body.length) };
    } else if (answer.status === 200) {
      tail = { text: answer.body, start: 0, size: Buffer.byteLength(answer.body) };
    } else if (answer.status !== 416) {
      return kit.send(reply, answer.status, logPage(ctx, id, host, { text: problemLine(answer), start: 0, size: 0 }, apiHref));
    }
    return kit.send(reply, 200, logPage(ctx, id, host, tail, apiHref));
  });
}
