import type { FastifyInstance } from 'fastify';
import { TaskList } from '../schemas.ts';

export async function taskRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/tasks', { schema: { summary: 'The fabfile\'s tasks: namespaces, descriptions, argument names, default hosts and roles', response: { 200: TaskList } } }, async () =>
    app.fab.runs.catalog.get(),
  );
}
