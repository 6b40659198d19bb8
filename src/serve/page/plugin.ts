// The web page of `fab serve`: registered on the server's fastify instance, in its own encapsulated context (its form
// parser and headers stay here; /api keeps JSON only). Pages: / (tasks), /runs (history), /runs/:id, its logs,
// /login. Every page answers with a CSP that allows no inline script; every form POST is checked for the session's
// CSRF token and the server's own Origin before anything happens.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_FIELD, refuseStateChange, type Role, type Session, sessionCookie, type SessionStore } from '../session.ts';
import { loadAssets } from './assets.ts';
import { registerActions } from './actions.ts';
import { registerPages } from './pages.ts';
import { PAGE_HEADERS } from './views/layout.ts';

export interface PageOptions {
  sessions: SessionStore;
  /** The role a login token has, or undefined for a wrong one (the server's own token check, constant time). */
  authenticate(token: string): Role | undefined;
  /** No tokens at all (loopback without --token-file): a visitor gets a `run` session without logging in. */
  open: boolean;
  /** The server speaks TLS: the cookie is Secure. */
  secure: boolean;
}

export type Form = Record<string, string[]>;

export interface PageKit {
  options: PageOptions;
  /** The request's session; in open mode one is made (and its cookie set) on the way. */
  session(request: FastifyRequest, reply: FastifyReply): Session | undefined;
  /** Sends a page with the page headers. */
  send(reply: FastifyReply, status: number, html: string): FastifyReply;
  /** 303 to the login page when there is no session. */
  toLogin(request: FastifyRequest, reply: FastifyReply): FastifyReply;
}

/** The origins this server is reached as, from the request's own Host (which the server has already checked). */
export function ownOrigins(request: FastifyRequest): string[] {
  const host = request.headers.host;
  return host ? [`${request.protocol}://${host}`] : [];
}

export function pagePlugin(app: FastifyInstance, options: PageOptions, done: (err?: Error) => void): void {
  const assets = loadAssets();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, next) => {
    const form: Form = {};
    for (const [key, value] of new URLSearchParams(body as string)) (form[key] ??= []).push(value);
    next(null, form);
  });

  const kit: PageKit = {
    options,
    session(request, reply) {
      const found = options.sessions.lookup(request.headers);
      if (found || !options.open) return found;
      const made = options.sessions.create('run');
      reply.header('set-cookie', sessionCookie(made, options.secure));
      return made;
    },
    send: (reply, status, html) => reply.code(status).headers(PAGE_HEADERS).send(html),
    toLogin: (request, reply) => reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303),
  };

  // Every form POST of the page: the session's CSRF token and this server's Origin, or 403 before the route runs.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.url.startsWith('/login')) return;
    const session = options.sessions.lookup(request.headers);
    const form = (request.body ?? {}) as Form;
    const refusal = session
      ? refuseStateChange({ method: request.method, headers: request.headers, session, formToken: form[CSRF_FIELD]?.[0], ownOrigins: ownOrigins(request) })
      : 'log in first';
    if (refusal) return reply.code(403).headers({ ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).send(`403 Forbidden: ${refusal}\n`);
  });

  app.get('/assets/*', (request, reply) => {
    const asset = assets.get((request.params as { '*': string })['*']);
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('no such asset\n');
    return reply.headers({ 'content-type': asset.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).send(asset.body);
  });

  registerPages(app, kit);
  registerActions(app, kit);
  done();
}
