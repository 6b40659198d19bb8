import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RunRow, Store } from './store.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A run as the API shows it: what was asked, by whom, when, how it ended; `detailed` adds host results and the summary. */
export function runView(store: Store, run: RunRow, counts: Record<string, number>, detailed: boolean) {
  return {
    id: run.id,
    state: run.state,
    ...run.request,
    targets: run.targets,
    startedBy: run.startedBy,
    createdAt: iso(run.createdAt)!,
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    durationMs: run.startedAt !== null && run.endedAt !== null ? run.endedAt - run.startedAt : null,
    exitCode: run.exitCode,
    error: run.error,
    lastSeq: run.lastSeq,
    hostCounts: counts,
    ...(detailed ? { results: store.hosts(run.id), summary: run.summary } : {}),
  };
}

/** JSON with a weak ETag; 304 when the client has it already. */
export function sendCached(request: FastifyRequest, reply: FastifyReply, body: unknown): FastifyReply {
  const text = JSON.stringify(body);
  const etag = `W/"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
  reply.header('etag', etag).header('cache-control', 'no-cache');
  const given = request.headers['if-none-match'];
  if (given && given.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) return reply.code(304).send();
  return reply.type('application/json; charset=utf-8').send(text);
}
