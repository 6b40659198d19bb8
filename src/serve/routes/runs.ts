import type { FastifyInstance } from 'fastify';
import { ApiError } from '../problem.ts';
import { RunList, RunParams, RunRequest, RunsQuery, Run, Problem } from '../schemas.ts';
import { runView, sendCached } from '../view.ts';

const problems = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 415: Problem, 422: Problem, 429: Problem, 503: Problem };

/** `Prefer: wait=N` (RFC 7240): seconds the client will wait for the run to end, at most 300. */
function preferWait(header: string | string[] | undefined): number | undefined {
  const match = /(?:^|[,;\s])wait=(\d+)/.exec([header ?? ''].flat().join(','));
  return match ? Math.min(300, Number(match[1])) : undefined;
}

export async function runRoutes(app: FastifyInstance): Promise<void> {
  const { runs } = app.fab;
  const view = (id: number, detailed: boolean) => {
    const run = runs.store.get(id);
    if (!run) throw new ApiError(404, `no run ${id}; GET /api/runs lists them`);
    return runView(runs.store, run, runs.store.hostCounts([id]).get(id) ?? {}, detailed);
  };

  app.post<{ Body: RunRequest }>(
    '/api/runs',
    {
      config: { need: 'run' },
      schema: {
        summary: 'Start a run. Idempotency-Key makes a retried POST return the same run; Prefer: wait=N answers 200 with the finished run if it ends within N s',
        body: RunRequest,
        response: { 200: Run, 201: Run, ...problems },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const wait = preferWait(request.headers.prefer);
      const { run } = await runs.create(request.body, request.caller, {
        ...(typeof key === 'string' && key ? { idempotencyKey: key.slice(0, 200) } : {}),
        waitInQueue: wait !== undefined,
      });
      reply.header('location', `/api/runs/${run.id}`);
      if (wait !== undefined && wait > 0) {
        const ended = await runs.waitForEnd(run.id, wait);
        if (ended) return reply.code(200).header('preference-applied', `wait=${wait}`).send(view(run.id, true));
      }
      return reply.code(201).send(view(run.id, true));
    },
  );

  app.get<{ Querystring: RunsQuery }>(
    '/api/runs',
    { schema: { summary: 'History, newest first; next is the URL of the next page. ETag / If-None-Match answer 304', querystring: RunsQuery, response: { 200: RunList } } },
    async (request, reply) => {
      const limit = request.query.limit ?? 50;
      const rows = runs.store.list({ ...request.query, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const counts = runs.store.hostCounts(page.map((run) => run.id));
      const params = new URLSearchParams(Object.entries({ ...request.query, limit }).filter(([key, value]) => key !== 'before' && value !== undefined).map(([key, value]) => [key, String(value)] as [string, string]));
      const next = rows.length > limit ? `/api/runs?${params}&before=${page.at(-1)!.id}` : null;
      return sendCached(request, reply, { runs: page.map((run) => runView(runs.store, run, counts.get(run.id) ?? {}, false)), next });
    },
  );

  app.get<{ Params: { id: number } }>(
    '/api/runs/:id',
    { schema: { summary: 'A run: state, each host\'s result per task (status, exit code, duration, error line), the summary', params: RunParams, response: { 200: Run, 404: Problem } } },
    async (request, reply) => sendCached(request, reply, view(request.params.id, true)),
  );

  app.post<{ Params: { id: number } }>(
    '/api/runs/:id/cancel',
    { config: { need: 'run' }, schema: { summary: 'Cancel: 202 (queued runs end at once, running ones get Ctrl-C: remote commands end); 409 when it has ended', params: RunParams, response: { 202: Run, 404: Problem, 409: Problem } } },
    async (request, reply) => {
      runs.cancel(request.params.id);
      return reply.code(202).send(view(request.params.id, true));
    },
  );
}
