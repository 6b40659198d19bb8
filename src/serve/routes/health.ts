import type { FastifyInstance } from 'fastify';

export interface Metrics {
  requests: Map<number, number>;
  sseClients: number;
}

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { config: { need: 'public' }, schema: { summary: 'Liveness: 200 while serving, 503 while draining' } }, async (_request, reply) => {
    const { runs } = app.fab;
    if (runs.draining) return reply.code(503).header('retry-after', '30').send({ status: 'draining', ...runs.stats() });
    return { status: 'ok', ...runs.stats() };
  });

  app.get('/metrics', { config: { produces: 'text' }, schema: { summary: 'Prometheus text format' } }, async (_request, reply) => {
    const { runs, metrics } = app.fab;
    const lines = ['# HELP fab_serve_runs Runs in the store by state.', '# TYPE fab_serve_runs gauge'];
    const counts = runs.store.countsByState();
    for (const state of ['queued', 'running', 'ok', 'failed', 'cancelled', 'lost']) lines.push(`fab_serve_runs{state="${state}"} ${counts[state] ?? 0}`);
    lines.push('# HELP fab_serve_queue_length Runs waiting for a slot.', '# TYPE fab_serve_queue_length gauge', `fab_serve_queue_length ${runs.stats().queued}`);
    lines.push('# HELP fab_serve_sse_clients Open event streams.', '# TYPE fab_serve_sse_clients gauge', `fab_serve_sse_clients ${metrics.sseClients}`);
    lines.push('# HELP fab_serve_requests_total Requests answered, by status code.', '# TYPE fab_serve_requests_total counter');
    for (const [status, count] of [...metrics.requests].sort(([a], [b]) => a - b)) lines.push(`fab_serve_requests_total{status="${status}"} ${count}`);
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${lines.join('\n')}\n`);
  });
}
