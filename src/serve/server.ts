import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { describeError } from '../errors.ts';
import { allows, type Auth, type Need } from './auth.ts';
import { checkAccept, checkHost, checkOrigin, type Produces } from './guards.ts';
import { ApiError, problemBody, sendProblem } from './problem.ts';
import type { RunManager } from './runs.ts';
import type { ServeSettings } from './options.ts';
import type { Caller } from './store.ts';
import { Problem } from './schemas.ts';
import { healthRoutes, type Metrics } from './routes/health.ts';
import { taskRoutes } from './routes/tasks.ts';
import { runRoutes } from './routes/runs.ts';
import { eventRoutes } from './routes/events.ts';
import { logRoutes } from './routes/logs.ts';

// See src/serve/README.md for the routes, the event stream and how a plugin (the web page) plugs in.

/** Request bodies past this are refused (413); a run request is a few hundred bytes. */
export const BODY_LIMIT = 64 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: `public`, `read` (default) or `run`. */
    need?: Need;
    /** What the route answers with, for the Accept check (406): `json` (default), `sse`, `text`, `any`. */
    produces?: Produces;
  }
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyInstance {
    /** The server's parts, for plugins (the page): runs (create, cancel, subscribe), runs.store (history, events), auth (resolvers). */
    fab: { runs: RunManager; auth: Auth; settings: ServeSettings; metrics: Metrics };
  }
}

export interface ServerParts {
  settings: ServeSettings;
  runs: RunManager;
  auth: Auth;
  /** Names the Host header may carry beyond the listen address and localhost (config `serve.hostNames`). */
  hostNames?: string[];
  /** Plugins registered after the API (the web page), each in its own encapsulated context. */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
}

/**
 * `Expect: 100-continue` honoured, and a body announced past the limit refused with 413 before the client sends
 * it (Node's default would invite the whole body first).
 */
function serverFactory(settings: ServeSettings) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void): Server => {
    // Node checks the timeouts below only every connectionsCheckingInterval (30 s by default): a slow client would
    // hold its socket up to 50 s past headersTimeout. Every 2 s, they are closed close to the limit.
    const checking = { connectionsCheckingInterval: 2_000 };
    const server = settings.tlsCert
      ? createHttpsServer({ ...checking, cert: readFileSync(settings.tlsCert), key: readFileSync(settings.tlsKey!) }, handler)
      : createHttpServer(checking, handler);
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (Number(req.headers['content-length']) > BODY_LIMIT) {
        res.writeHead(413, { 'content-type': 'application/problem+json', connection: 'close' });
        res.end(JSON.stringify(problemBody(413, `the body is over ${BODY_LIMIT} bytes`)));
        return;
      }
      res.writeContinue();
      handler(req, res);
    });
    // Slowloris: a request must arrive whole within these.
    server.headersTimeout = 20_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    return server as Server;
  };
}

/** Route patterns seen so far, for 405 + Allow on a known path with a method it lacks. */
function routeTable(app: FastifyInstance) {
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const source = `^${route.url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+').replace(/\*/g, '.*')}/?$`;
    let entry = routes.find((candidate) => candidate.pattern.source === source);
    if (!entry) routes.push((entry = { pattern: new RegExp(source), methods: new Set() }));
    for (const method of [route.method].flat()) entry.methods.add(method);
  });
  return (path: string) => {
    const methods = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
    return [...methods];
  };
}

function translate(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
  if (error.validation) {
    const first = error.validation[0]!;
    const where = `${first.instancePath.replace(/^\//, '')}${(first.params as { additionalProperty?: string }).additionalProperty ? `${first.instancePath ? '/' : ''}${(first.params as { additionalProperty: string }).additionalProperty}` : ''}`;
    const detail = `${where || error.validationContext || 'request'}: ${first.message ?? 'is not valid'}`;
    return new ApiError(error.validationContext === 'body' ? 422 : 400, detail, { code: 'INVALID' });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, `the body is over ${BODY_LIMIT} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'send the body as Content-Type: application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'the body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError(400, 'the body is not valid JSON');
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return new ApiError(error.statusCode, describeError(error));
  return new ApiError(500, 'the server failed on this request; its log has the details');
}

export async function buildServer(parts: ServerParts): Promise<FastifyInstance> {
  const { settings, runs, auth } = parts;
  const app = Fastify({
    serverFactory: serverFactory(settings),
    bodyLimit: BODY_LIMIT,
    logger: false,
    trustProxy: false,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    routerOptions: { maxParamLength: 300 },
  }) as unknown as FastifyInstance;
  const metrics: Metrics = { requests: new Map(), sseClients: 0 };
  app.decorate('fab', { runs, auth, settings, metrics });
  app.decorateRequest('caller', null as unknown as Caller);
  const allowedMethods = routeTable(app);

  app.addHook('onRequest', async (request) => {
    checkHost(request, settings, parts.hostNames ?? []);
    const need = request.routeOptions.config?.need ?? 'read';
    if (need === 'public') return;
    auth.checkLockout(request.ip);
    request.caller = auth.resolve(request);
    if (!allows(request.caller, need)) throw new ApiError(403, `the token "${request.caller.name}" has the read role; this needs a run token`);
    checkOrigin(request, settings);
  });
  app.addHook('preHandler', async (request) => {
    checkAccept(request, request.routeOptions.config?.produces ?? 'json');
  });
  app.addHook('onResponse', async (_request, reply) => {
    metrics.requests.set(reply.statusCode, (metrics.requests.get(reply.statusCode) ?? 0) + 1);
  });

  app.setErrorHandler(async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = translate(error);
    if (problem.status >= 500 && !(error instanceof ApiError)) process.stderr.write(`fab serve: ${request.method} ${request.url.split('?')[0]}: ${describeError(error)}\n`);
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    const methods = allowedMethods(path);
    if (methods.length === 0) return sendProblem(reply, new ApiError(404, `nothing at ${path.slice(0, 200)}; GET /api/openapi.json lists the routes`));
    const allow = [...new Set([...methods, 'OPTIONS'])].join(', ');
    if (request.method === 'OPTIONS') return reply.code(204).header('allow', allow).send();
    return sendProblem(reply, new ApiError(405, `${request.method} is not allowed on ${path.slice(0, 200)}; use ${methods.join(' or ')}`, { headers: { allow } }));
  });

  await app.register((await import('@fastify/swagger')).default, {
    openapi: {
      info: { title: 'fab serve', version: '1', description: 'Run fabfile tasks over HTTP, follow them live, keep their history.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.addSchema(Problem);

  await app.register(async (api) => {
    // The API takes JSON only (415 for anything else); the page registers its own parsers in its own context.
    api.removeContentTypeParser('text/plain');
    await healthRoutes(api);
    await taskRoutes(api);
    await runRoutes(api);
    await eventRoutes(api);
    await logRoutes(api);
    api.get('/api/openapi.json', { config: { need: 'public' }, schema: { hide: true } }, async () => app.swagger());
  });
  for (const plugin of parts.plugins ?? []) await app.register(plugin);
  return app;
}
