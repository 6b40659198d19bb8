import { stateBadge } from '../model/run-view.ts';
import { h } from '../model/vnode.ts';
import { page, type PageContext, problemBox } from './layout.ts';
import { duration, RUN_STATES, type RunInfo, runHref, runTitle, startedBy, when } from './runs.ts';

export interface HistoryFilter {
  task?: string;
  host?: string;
  state?: string;
}

/** Runs newest first; filters are a plain GET form, so history reads (and pages) without JavaScript. */
export function historyPage(ctx: PageContext, runs: RunInfo[], filter: HistoryFilter, older: string | undefined, problem?: string): string {
  return page(
    ctx,
    h('h1', null, 'History'),
    h(
      'form',
      { method: 'get', action: '/runs', class: 'filters', role: 'search' },
      h('label', null, 'task', h('input', { type: 'text', name: 'task', value: filter.task ?? '' })),
      h('label', null, 'host', h('input', { type: 'text', name: 'host', value: filter.host ?? '' })),
      h('label', null, 'state', h('select', { name: 'state' }, h('option', { value: '' }, 'any'), RUN_STATES.map((s) => h('option', { value: s, selected: filter.state === s }, s)))),
      h('button', { type: 'submit' }, 'Filter'),
    ),
    problemBox(problem),
    runs.length === 0
      ? h('p', null, 'No runs yet.')
      : h(
          'table',
          null,
          h('thead', null, h('tr', null, ['run', 'what', 'state', 'started by', 'when', 'duration', 'hosts ok', 'hosts failed'].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            null,
            runs.map((run) =>
              h(
                'tr',
                { 'data-run': run.id },
                h('td', null, h('a', { href: runHref(run.id) }, `#${run.id}`)),
                h('td', null, h('code', null, runTitle(run))),
                h('td', null, stateBadge(run.state)),
                h('td', null, startedBy(run)),
                h('td', null, when(run)),
                h('td', null, duration(run)),
                h('td', null, run.hostCounts?.ok ?? 0),
                h('td', null, (run.hostCounts?.failed ?? 0) + (run.hostCounts?.interrupted ?? 0)),
              ),
            ),
          ),
        ),
    older && h('p', { class: 'pager' }, h('a', { href: older }, 'Older runs →')),
  );
}
