// The run page's lanes, groups and summary as markup, from the board alone: the server renders it once, the browser
// re-renders the lanes whose rev moved. States are told by an icon and a word, not only by colour.
import { type BoardModel, type GroupModel, type LaneModel, type LaneState, shownLines, summarize } from './lanes.ts';
import { h, type VNode } from './vnode.ts';

/** More lanes than this and they start collapsed (failed ones open): 200 hosts stay one screen of summaries. */
export const OPEN_LANES_UP_TO = 12;

export const STATE_ICONS: Record<LaneState, string> = {
  queued: '…',
  running: '▶',
  ok: '✓',
  failed: '✗',
  skipped: '–',
  interrupted: '■',
};

export interface RunViewContext {
  runId: string;
}

const MiB = 1048576;
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MiB) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${(bytes / 1024 / MiB).toFixed(2)} GiB`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A run's own states beyond a lane's. */
const RUN_ICONS: Record<string, string> = { cancelled: '■', cancelling: '■', lost: '⚠' };

export function stateBadge(state: string): VNode {
  const icon = (STATE_ICONS as Record<string, string>)[state] ?? RUN_ICONS[state] ?? '?';
  return h('span', { class: `badge state-${state}` }, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), ' ', h('span', { class: 'state' }, state));
}

/** The server names a local-only task's log `localhost`. */
export const logHref = (ctx: RunViewContext, host: string) => `/runs/${encodeURIComponent(ctx.runId)}/log/${encodeURIComponent(host || 'localhost')}`;

function transferView(transfer: LaneModel['transfers'][number]): VNode {
  const known = transfer.total > 0;
  const percent = known ? Math.min(100, Math.floor((transfer.bytes / transfer.total) * 100)) : transfer.done ? 100 : 0;
  const label = `${transfer.direction} ${transfer.name}`;
  const amount = known ? `${formatBytes(transfer.bytes)} of ${formatBytes(transfer.total)}` : formatBytes(transfer.bytes);
  const status = transfer.error ? `failed: ${transfer.error}` : transfer.done ? 'done' : `${percent}%`;
  return h(
    'div',
    { class: 'transfer' },
    h('span', { class: 'transfer-name' }, label),
    h('progress', { max: 100, value: percent, 'aria-label': label }),
    h('span', { class: 'transfer-amount' }, `${status}, ${amount}${transfer.rate > 0 ? `, ${formatBytes(transfer.rate)}/s` : ''}`),
  );
}

export function laneView(lane: LaneModel, ctx: RunViewContext, open: boolean): VNode {
  const lines = shownLines(lane);
  const earlier = lane.lineCount + (lane.partial ? 1 : 0) - lines.length;
  const last = lines.length ? lines[lines.length - 1] : '';
  const duration = lane.startT !== null && lane.endT !== null ? formatDuration(lane.endT - lane.startT) : '';
  return h(
    'li',
    { class: `lane state-${lane.state}`, id: `lane-${lane.key}`, 'data-lane': lane.key },
    h(
      'details',
      { open },
      h(
        'summary',
        null,
        stateBadge(lane.state),
        ' ',
        h('span', { class: 'host' }, lane.host || 'local'),
        duration && h('span', { class: 'duration' }, duration),
        h('span', { class: 'command' }, lane.command),
        !open && last ? h('span', { class: 'last-line' }, last) : null,
      ),
      lane.note && h('p', { class: 'note' }, lane.note),
      lane.transfers.length > 0 && h('div', { class: 'transfers' }, lane.transfers.map(transferView)),
      lane.error && h('p', { class: 'error' }, lane.error),
      h('pre', { class: 'output', tabindex: 0, 'aria-label': `output of ${lane.host || 'local'}` }, lines.join('\n')),
      h(
        'p',
        { class: 'more' },
        earlier > 0 ? `${earlier} earlier line${earlier === 1 ? '' : 's'} not shown · ` : '',
        h('a', { href: logHref(ctx, lane.host) }, 'full log'),
      ),
    ),
  );
}

/** Lanes start open when there are few of them; a failed lane always does. */
export function laneOpen(board: BoardModel, lane: LaneModel): boolean {
  return lane.state === 'failed' || Object.keys(board.lanes).length <= OPEN_LANES_UP_TO;
}

export type OpenOf = (lane: LaneModel) => boolean;

export function groupView(board: BoardModel, group: GroupModel, ctx: RunViewContext, openOf: OpenOf): VNode {
  const lanes = group.lanes.map((key) => board.lanes[key]).filter((lane): lane is LaneModel => lane !== undefined);
  return h(
    'section',
    { class: 'group', 'data-group': group.invocation },
    h('h2', null, group.task, ' ', h('span', { class: 'hint' }, `${lanes.length} host${lanes.length === 1 ? '' : 's'}`)),
    h('ol', { class: 'lanes' }, lanes.map((lane) => laneView(lane, ctx, openOf(lane)))),
  );
}

export function countsView(board: BoardModel): VNode {
  const { counts } = summarize(board);
  const parts = (Object.keys(counts) as LaneState[]).filter((state) => counts[state] > 0);
  return h(
    'p',
    { class: 'counts', id: 'counts', role: 'status', 'aria-live': 'polite' },
    board.ended ? (board.exitCode === 0 ? 'finished: ' : 'ended: ') : board.interrupted ? 'cancelling: ' : 'running: ',
    parts.length === 0 ? 'waiting for the first task' : parts.map((state, i) => [i > 0 ? ' · ' : '', stateBadge(state), ` ${counts[state]}`]),
  );
}

export function summaryView(board: BoardModel, ctx: RunViewContext): VNode | null {
  if (!board.ended) return null;
  const lanes = board.groups.flatMap((group) => group.lanes.map((key) => board.lanes[key])).filter((lane): lane is LaneModel => lane !== undefined);
  return h(
    'section',
    { class: 'summary', id: 'summary' },
    h('h2', null, 'Summary', board.exitCode === null ? '' : ` (exit code ${board.exitCode})`),
    h(
      'table',
      null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'task'), h('th', { scope: 'col' }, 'host'), h('th', { scope: 'col' }, 'state'), h('th', { scope: 'col' }, 'duration'), h('th', { scope: 'col' }, 'error'))),
      h(
        'tbody',
        null,
        lanes.map((lane) =>
          h(
            'tr',
            null,
            h('td', null, lane.task),
            h('td', null, h('a', { href: logHref(ctx, lane.host) }, lane.host || 'local')),
            h('td', null, stateBadge(lane.state)),
            h('td', null, lane.startT !== null && lane.endT !== null ? formatDuration(lane.endT - lane.startT) : ''),
            h('td', { class: 'error' }, lane.error.split('\n')[0] ?? ''),
          ),
        ),
      ),
    ),
  );
}

export function warningsView(board: BoardModel): VNode | null {
  return board.warnings.length ? h('ul', { class: 'warnings', id: 'warnings' }, board.warnings.map((w) => h('li', null, '⚠ ', w))) : null;
}

/** Everything the live part of the run page shows, in one tree (#board). */
export function boardView(board: BoardModel, ctx: RunViewContext, openOf: OpenOf = (lane) => laneOpen(board, lane)): VNode {
  return h(
    'div',
    { id: 'board' },
    countsView(board),
    warningsView(board),
    board.groups.map((group) => groupView(board, group, ctx, openOf)),
    summaryView(board, ctx),
  );
}
