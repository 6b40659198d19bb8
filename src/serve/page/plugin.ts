// The web page of `fab serve`: registered after the API in its own encapsulated context (its form parser and hooks
// stay here; /api keeps JSON only). Pages: / (tasks), /runs (history), /runs/:id, its logs, /login. Every page answers
// with a CSP that allows no inline script; every form POST is checked for the session's CSRF token and the server's
// own Origin before anything happens. The session cookie also authenticates the browser's own API calls (the event
// stream, log ranges), with the same CSRF and Origin rule for anything that changes state.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../problem.ts';
import { CSRF_FIELD, refuseStateChange, sessionCookie, SessionStore } from '../session.ts';
import { registerActions } from './actions.ts';
import { loadAssets } from './assets.ts';
import { registerPages } from './pages.ts';
import { type Form, PAGE_ROUTE, type PageKit } from './kit.ts';
import { PAGE_HEADERS } from './views/layout.ts';

export async function pagePlugin(app: FastifyInstance): Promise<void> {
  const { auth, settings } = app.fab;
  const assets = loadAssets();
  const sessions = new SessionStore();
  const secure = Boolean(settings.tlsCert);
  const kit: PageKit = {
    sessions,
    secure,
    authenticate(request, token) {
      auth.checkLockout(request.ip);
      try {
        // The API's own bearer check: constant time, and wrong guesses count towards the address's lockout.
        return auth.resolve({ headers: { authorization: `Bearer ${token}` }, ip: request.ip } as FastifyRequest);
      } catch {
        return undefined;
      }
    },
    session(request, reply) {
      const found = sessions.lookup(request.headers);
      if (found || auth.required) return found;
      const made = sessions.create({ name: 'local', role: 'run' });
      reply.header('set-cookie', sessionCookie(made, secure));
      return made;
    },
    send: (reply, status, html) => reply.code(status).headers(PAGE_HEADERS).send(html),
    toLogin: (request, reply) => reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303),
    ownOrigins: (request) => (request.headers.host ? [`${secure ? 'https' : 'http'}://${request.headers.host}`] : []),
  };

  // The browser's API calls carry the cookie, not a bearer token: the session is the caller, and whatever changes
  // state must also carry the CSRF token and come from this server's own pages.
  auth.resolvers.push((request) => {
    const session = sessions.lookup(request.headers);
    if (!session) return undefined;
    const refusal = refuseStateChange({ method: request.method, headers: request.headers, session, ownOrigins: kit.ownOrigins(request) });
    if (refusal) throw new ApiError(403, refusal);
    return { name: session.name, role: session.role };
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
    const form: Form = {};
    for (const [key, value] of new URLSearchParams(body as string)) (form[key] ??= []).push(value);
    done(null, form);
  });

  // Every form POST of the page but the login: the session's CSRF token and this server's Origin, or 403.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.url.startsWith('/login')) return;
    const session = sessions.lookup(request.headers);
    const form = (request.body ?? {}) as Form;
    const refusal = session
      ? refuseStateChange({ method: request.method, headers: request.headers, session, formToken: form[CSRF_FIELD]?.[0], ownOrigins: kit.ownOrigins(request) })
      : 'log in first';
    if (refusal) return reply.code(403).headers({ ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).send(`403 Forbidden: ${refusal}\n`);
  });

  app.get('/assets/*', PAGE_ROUTE, (request, reply) => {
    const asset = assets.get((request.params as { '*': string })['*']);
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('no such asset\n');
    return reply.headers({ 'content-type': asset.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).send(asset.body);
  });

  registerPages(app, kit);
  registerActions(app, kit);
}
