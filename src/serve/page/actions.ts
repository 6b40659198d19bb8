// What the page's forms do. Plain form POSTs that answer 303 to the page to look at next, so they work without
// JavaScript and a reload never posts twice. CSRF and Origin were checked before these run (plugin.ts), except for
// the login form, which has no session yet and checks its Origin here.
import type { FastifyInstance } from 'fastify';
import { safeNext, sessionCookie } from '../session.ts';
import { callApi, parseJson, problemLine } from './api-client.ts';
import { type Form, PAGE_ROUTE, type PageKit } from './kit.ts';
import { loginPage } from './views/login.ts';
import { runHref } from './views/runs.ts';
import { tasksPage } from './views/tasks.ts';

const field = (form: Form, name: string): string => form[name]?.[0]?.trim() ?? '';
const words = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

/** The API's run request from the task form: `arg.NAME` fields are the task's arguments; empty fields are left out. */
export function runRequest(form: Form): Record<string, unknown> {
  const args: Record<string, string> = {};
  for (const [key, values] of Object.entries(form)) {
    const value = values[0]?.trim();
    if (key.startsWith('arg.') && value) args[key.slice(4)] = value;
  }
  const hosts = words(field(form, 'hosts'));
  const roles = (form.roles ?? []).filter(Boolean);
  return {
    tasks: [{ name: field(form, 'task'), ...(Object.keys(args).length ? { args } : {}) }],
    ...(hosts.length ? { hosts } : {}),
    ...(roles.length ? { roles } : {}),
    ...(field(form, 'parallel') ? { parallel: true } : {}),
  };
}

export function registerActions(app: FastifyInstance, kit: PageKit): void {
  app.post('/login', PAGE_ROUTE, (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const next = safeNext(field(form, 'next'));
    const origin = request.headers.origin;
    if (!origin || !kit.ownOrigins(request).includes(origin)) return kit.send(reply, 403, loginPage(next, 'This login form was not sent from this server’s own page.'));
    const caller = kit.authenticate(request, form.token?.[0] ?? '');
    if (!caller) return kit.send(reply, 401, loginPage(next, 'That token is not valid: use one from the file given to --token-file.'));
    const session = kit.sessions.create(caller);
    return reply.header('set-cookie', sessionCookie(session, kit.secure)).redirect(next, 303);
  });

  app.post('/logout', PAGE_ROUTE, (request, reply) => {
    const session = kit.sessions.lookup(request.headers);
    if (session) kit.sessions.destroy(session.id);
    return reply.header('set-cookie', sessionCookie(undefined, kit.secure)).redirect('/login', 303);
  });

  app.post('/runs', PAGE_ROUTE, async (request, reply) => {
    const session = kit.sessions.lookup(request.headers)!;
    const answer = await callApi(app, request, session, 'POST', '/api/runs', { json: runRequest((request.body ?? {}) as Form) });
    if (answer.status === 201 || answer.status === 200) {
      const run = parseJson<{ id: string | number }>(answer);
      return reply.redirect(runHref(run.id), 303);
    }
    // Refused (409 a run holds those hosts, 422 a bad field, 429 queue full...): the tasks page again, saying why.
    const tasks = await callApi(app, request, session, 'GET', '/api/tasks');
    const doc = tasks.status === 200 ? parseJson<{ tasks?: [] } | []>(tasks) : [];
    const list = Array.isArray(doc) ? doc : (doc.tasks ?? []);
    return kit.send(reply, answer.status, tasksPage({ title: 'Tasks', csrf: session.csrf, canRun: session.role === 'run' }, list, [], problemLine(answer)));
  });

  app.post('/runs/:id/cancel', PAGE_ROUTE, async (request, reply) => {
    const session = kit.sessions.lookup(request.headers)!;
    const id = (request.params as { id: string }).id;
    const answer = await callApi(app, request, session, 'POST', `/api/runs/${encodeURIComponent(id)}/cancel`);
    // 202 cancelling, 409 already over: either way the run's page tells how it stands.
    if (answer.status === 202 || answer.status === 409) return reply.redirect(runHref(id), 303);
    return reply.code(answer.status).headers({ 'content-type': 'text/plain; charset=utf-8' }).send(`${problemLine(answer)}\n`);
  });
}
