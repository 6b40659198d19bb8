import { h } from '../model/vnode.ts';
import { page, type PageContext } from './layout.ts';
import { runHref } from './runs.ts';

export interface LogTail {
  text: string;
  /** Byte offset of the text's first byte in the whole log. */
  start: number;
  size: number;
}

/** A host's log: its tail, server-rendered; earlier parts by Range (script) or the full text link (none). */
export function logPage(ctx: PageContext, runId: string, host: string, tail: LogTail, apiHref: string): string {
  return page(
    { ...ctx, scripts: ['/assets/client/log.js'] },
    h('h1', null, h('a', { href: runHref(runId) }, `#${runId}`), ` log of ${host}`),
    h(
      'p',
      { class: 'muted' },
      tail.start > 0 ? `the last ${tail.size - tail.start} of ${tail.size} bytes · ` : `${tail.size} bytes · `,
      h('a', { href: apiHref }, 'full log as text'),
    ),
    h('button', { type: 'button', id: 'log-earlier', hidden: true }, 'Load earlier output'),
    h('pre', { id: 'log-text', tabindex: 0, 'data-start': tail.start, 'data-src': apiHref }, tail.text),
  );
}
