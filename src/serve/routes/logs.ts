import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { logFileName } from '../../report/logfile.ts';
import { ApiError } from '../problem.ts';
import { LogParams } from '../schemas.ts';

/** `bytes=A-B`, `bytes=A-`, `bytes=-N` (one range); undefined for anything else (then the whole file, as RFC 9110 allows). */
export function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export async function logRoutes(app: FastifyInstance): Promise<void> {
  const { runs } = app.fab;
  app.get<{ Params: { id: number; host: string } }>(
    '/api/runs/:id/hosts/:host/log',
    { config: { produces: 'text' }, schema: { summary: 'A host\'s log of the run (the --log-dir format), text/plain; Range answers 206, an unsatisfiable one 416', params: LogParams } },
    async (request, reply) => {
      const { id, host } = request.params;
      if (!runs.store.get(id)) throw new ApiError(404, `no run ${id}`);
      // Only a host the run has: the name never reaches the file system unless the store knows it.
      const known = runs.store.hosts(id).some((row) => (row.host ?? 'localhost') === host);
      if (!known) throw new ApiError(404, `run ${id} has no host "${host.slice(0, 100)}"`);
      const file = join(runs.logDir(id), 'logs', logFileName(host === 'localhost' ? undefined : host));
      const size = statSync(file, { throwIfNoEntry: false })?.size;
      if (size === undefined) throw new ApiError(404, `run ${id} wrote no log for ${host} (yet)`);
      reply.header('accept-ranges', 'bytes').type('text/plain; charset=utf-8');
      const range = request.headers.range === undefined ? undefined : parseRange(request.headers.range, size);
      if (range === 'unsatisfiable') throw new ApiError(416, `the log is ${size} bytes; ask for a range inside it`, { headers: { 'content-range': `bytes */${size}` } });
      if (!range) return reply.header('content-length', size).send(createReadStream(file));
      return reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
        .header('content-length', range.end - range.start + 1)
        .send(createReadStream(file, { start: range.start, end: range.end }));
    },
  );
}
