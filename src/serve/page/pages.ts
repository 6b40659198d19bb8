// The pages a browser GETs, all drawn on the server (history and logs read without JavaScript).
import type { FastifyInstance } from 'fastify';
import { callApi, parseJson, problemLine } from './api-client.ts';
import { applyEvent, newBoard, type WireEvent } from './model/lanes.ts';
import type { PageKit } from './plugin.ts';
import { historyPage, type HistoryFilter } from './views/history.ts';
import { loginPage } from './views/login.ts';
import { logPage } from './views/log.ts';
import { runPage } from './views/run.ts';
import type { RunInfo } from './views/runs.ts';
import { type TaskInfo, tasksPage } from './views/tasks.ts';

/** Bytes of a log the log page shows at first: its end. */
export const LOG_TAIL_BYTES = 64 * 1024;
const HISTORY_PAGE = 50;

const one = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export function registerPages(app: FastifyInstance, kit: PageKit): void {
  app.get('/login', (request, reply) => {
    const next = one((request.query as Record<string, unknown>).next) ?? '/';
    return kit.send(reply, 200, loginPage(next));
  });

  app.get('/', async (request, reply) => {
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

  app.get('/runs', async (request, reply) => {
    const session = kit.session(request, reply);
    if (!session) return kit.toLogin(request, reply);
    const query = request.query as Record<string, unknown>;
    const filter: HistoryFilter = { task: one(query.task), host: one(query.host), state: one(query.state) };
    const params = new URLSearchParams({ limit: String(HISTORY_PAGE) });
    for (const [key, value] of Object.entries({ ...filter, before: one(query.before) })) if (value) params.set(key, value);
    const ctx = { title: 'History', csrf: session.csrf, canRun: session.role === 'run' };
    const answer = await callApi(app, request, session, 'GET', `/api/runs?${params}`);
    if (answer.status !== 200) return kit.send(reply, answer.status, historyPage(ctx, [], filter, undefined, problemLine(answer)));
    const doc = parseJson<{ runs?: RunInfo[]; next?: string | number | null } | RunInfo[]>(answer);
    const runs = Array.isArray(doc) ? doc : (doc.runs ?? []);
    const last = runs[runs.length - 1];
    let older: string | undefined;
    if (runs.length === HISTORY_PAGE && last) {
      const next = new URLSearchParams(params);
      next.delete('limit');
      next.set('before', String(last.id));
      older = `/runs?${next}`;
    }
    return kit.send(reply, 200, historyPage(ctx, runs, filter, older));
  });

  app.get('/runs/:id', async (request, reply) => {
    const session = kit.session(request, reply);
    if (!session) return kit.toLogin(request, reply);
    const id = encodeURIComponent((request.params as { id: string }).id);
    const ctx = { title: `Run ${decodeURIComponent(id)}`, csrf: session.csrf, canRun: session.role === 'run' };
    const answer = await callApi(app, request, session, 'GET', `/api/runs/${id}`);
    if (answer.status !== 200) return kit.send(reply, answer.status, historyPage({ ...ctx, title: 'Run' }, [], {}, undefined, problemLine(answer)));
    const run = parseJson<RunInfo>(answer);
    // The events so far, replayed into the lane model; the browser follows the stream from the last one.
    const events = await callApi(app, request, session, 'GET', `/api/runs/${id}/events?after=0`, { headers: { accept: 'application/x-ndjson' } });
    const board = newBoard();
    const now = Date.now();
    for (const line of events.status === 200 ? events.body.split('\n') : []) {
      if (line.trim()) applyEvent(board, JSON.parse(line) as WireEvent, now);
    }
    return kit.send(reply, 200, runPage(ctx, run, board));
  });

  app.get('/runs/:id/log/:host', async (request, reply) => {
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
