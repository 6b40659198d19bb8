// The frame every page shares, and the headers every page answers with. Scripts come only from this server and only
// as files (CSP: no inline script, no eval, no other origin); the page cannot be framed.
import { h, toHtml, type Child, type VNode } from '../model/vnode.ts';

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

export interface PageContext {
  /** The session's CSRF token, for the forms on the page; undefined before login. */
  csrf?: string;
  /** Whether this session may start and cancel runs. */
  canRun?: boolean;
  title: string;
  /** Module scripts the page loads, by asset path. */
  scripts?: string[];
}

export function csrfField(ctx: PageContext): VNode | null {
  return ctx.csrf ? h('input', { type: 'hidden', name: '_csrf', value: ctx.csrf }) : null;
}

export function page(ctx: PageContext, ...body: Child[]): string {
  const tree = h(
    'html',
    { lang: 'en' },
    h(
      'head',
      null,
      h('meta', { charset: 'utf-8' }),
      h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
      h('title', null, `${ctx.title} · fab serve`),
      h('link', { rel: 'stylesheet', href: '/assets/page.css' }),
      // No icon: without this line every page also asks for /favicon.ico.
      h('link', { rel: 'icon', href: 'data:,' }),
      (ctx.scripts ?? []).map((src) => h('script', { type: 'module', src })),
    ),
    h(
      'body',
      null,
      h(
        'header',
        { class: 'top' },
        h('a', { class: 'brand', href: '/' }, 'fab serve'),
        ctx.csrf &&
          h('nav', { 'aria-label': 'main' }, h('a', { href: '/' }, 'Tasks'), h('a', { href: '/runs' }, 'History')),
        ctx.csrf && h('form', { method: 'post', action: '/logout' }, csrfField(ctx), h('button', { type: 'submit' }, 'Log out')),
      ),
      h('main', null, body),
    ),
  );
  return `<!doctype html>\n${toHtml(tree)}\n`;
}

/** A problem shown on a page: the one line the API said, never a stack. */
export function problemBox(message: string | undefined): VNode | null {
  return message ? h('p', { class: 'problem', role: 'alert' }, message) : null;
}
