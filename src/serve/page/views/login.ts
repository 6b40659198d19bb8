import { h } from '../model/vnode.ts';
import { page, problemBox } from './layout.ts';

/** The token is typed once, posted once (never in a URL), and becomes an HttpOnly session cookie. */
export function loginPage(next: string, problem?: string): string {
  return page(
    { title: 'Log in' },
    h('h1', null, 'Log in'),
    problemBox(problem),
    h(
      'form',
      { method: 'post', action: '/login', class: 'login' },
      h('input', { type: 'hidden', name: 'next', value: next }),
      h('label', null, 'Token', h('input', { type: 'password', name: 'token', autocomplete: 'current-password', required: true, autofocus: true })),
      h('p', { class: 'hint' }, 'The token from the file given to fab serve --token-file.'),
      h('button', { type: 'submit', class: 'primary' }, 'Log in'),
    ),
  );
}
