import type { FastifyInstance } from 'fastify';
import { ApiError } from '../problem.ts';
import { EventsQuery, RunParams } from '../schemas.ts';
import { isFinal } from '../runs.ts';
import { runView } from '../view.ts';

/** Rows read from the store per query: a replay of 100,000 events goes out in pages, with backpressure. */
const PAGE = 1000;
/** Open event streams at most; past it, 429 (each costs a socket and a listener). FABTS_SERVE_MAX_STREAMS lowers it (tests). */
export const MAX_STREAMS = Number(process.env.FABTS_SERVE_MAX_STREAMS) || 1000;
const HEARTBEAT_MS = Number(process.env.FABTS_SERVE_HEARTBEAT_MS) || 15_000;

export async function eventRoutes(app: FastifyInstance): Promise<void> {
  const { runs, metrics } = app.fab;

  app.get<{ Params: { id: number }; Querystring: EventsQuery }>(
    '/api/runs/:id/events',
    {
      config: { produces: 'sse' },
      schema: {
        summary: 'The run\'s events as Server-Sent Events (id: = sequence number; Last-Event-ID or ?after= replays from the store; ?host= filters; a final "end" event). Accept: application/x-ndjson (or ?format=ndjson) answers the events stored so far as JSON lines instead',
        params: RunParams,
        querystring: EventsQuery,
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const run = runs.store.get(id);
      if (!run) throw new ApiError(404, `no run ${id}`);
      const lastEventId = request.headers['last-event-id'];
      // A reconnecting EventSource repeats the URL's ?after= too: Last-Event-ID is the newer news.
      const after = typeof lastEventId === 'string' && /^\d+$/.test(lastEventId) ? Number(lastEventId) : (request.query.after ?? 0);
      const host = request.query.host;
      const accept = request.headers.accept ?? '';

      if (request.query.format === 'ndjson' || (accept.includes('application/x-ndjson') && !accept.includes('text/event-stream'))) {
        const rows = runs.store.eventsAfter(id, after, request.query.limit ?? 100_000, host);
        return reply.type('application/x-ndjson; charset=utf-8').send(rows.map((row) => `${row.data}\n`).join(''));
      }
      // Everything was seen and nothing more will come: 204 tells an EventSource to stop reconnecting.
      if (isFinal(run.state) && after >= run.lastSeq) return reply.code(204).send();
      if (metrics.sseClients >= MAX_STREAMS) throw new ApiError(429, `${MAX_STREAMS} event streams are open; try again later`, { headers: { 'retry-after': '10' } });

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', connection: 'keep-alive' });
      res.write('retry: 2000\n\n');
      metrics.sseClients += 1;
      let cursor = after;
      let closed = false;
      let wake: (() => void) | undefined;
      const unsubscribe = runs.subscribe(id, () => wake?.());
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        metrics.sseClients -= 1;
        wake?.();
      };
      request.raw.socket.on('close', close);
      res.on('close', close);
      const writable = () => new Promise<void>((resolve) => (res.writableNeedDrain ? res.once('drain', resolve).once('close', resolve) : resolve()));
      try {
        while (!closed) {
          const rows = runs.store.eventsAfter(id, cursor, PAGE, host);
          for (const row of rows) res.write(`id: ${row.seq}\ndata: ${row.data}\n\n`);
          if (rows.length) cursor = rows.at(-1)!.seq;
          await writable();
          if (rows.length === PAGE) continue;
          const now = runs.store.progress(id)!;
          if (isFinal(now.state) && cursor >= now.lastSeq) {
            res.write(`event: end\ndata: ${JSON.stringify(runView(runs.store, runs.store.get(id)!, runs.store.hostCounts([id]).get(id) ?? {}, false))}\n\n`);
            break;
          }
          if (now.lastSeq > cursor) continue;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        close();
        res.end();
      }
    },
  );
}
