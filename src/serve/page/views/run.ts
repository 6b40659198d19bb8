import type { BoardModel } from '../model/lanes.ts';
import { boardView, stateBadge } from '../model/run-view.ts';
import { h } from '../model/vnode.ts';
import { csrfField, page, type PageContext } from './layout.ts';
import { duration, LIVE_STATES, type RunInfo, runHref, runTitle, startedBy, when } from './runs.ts';

/**
 * The run as it stands, drawn on the server from its events: readable as it is, and the starting point of the live
 * view (the board travels in a data attribute, which the CSP allows: it is data, not script).
 */
export function runPage(ctx: PageContext, run: RunInfo, board: BoardModel): string {
  const live = LIVE_STATES.has(run.state) && !board.ended;
  const runId = String(run.id);
  return page(
    { ...ctx, scripts: live ? ['/assets/client/run.js'] : [] },
    h(
      'div',
      { class: 'run-head' },
      h('h1', null, `#${runId} `, h('code', null, runTitle(run))),
      h('span', { id: 'run-state' }, stateBadge(run.state)),
      live && ctx.canRun && h('form', { method: 'post', action: `${runHref(runId)}/cancel`, id: 'cancel' }, csrfField(ctx), h('button', { type: 'submit', class: 'danger' }, 'Cancel')),
    ),
    h('p', { class: 'muted' }, [startedBy(run) && `started by ${startedBy(run)}`, when(run)].filter(Boolean).join(' · '), ' · ', h('span', { id: 'run-duration' }, duration(run))),
    run.error && h('p', { class: 'problem' }, run.error),
    boardView(board, { runId }),
    live && h('div', { id: 'board-data', hidden: true, 'data-json': JSON.stringify({ runId, board }) }),
  );
}
