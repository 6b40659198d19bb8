// The run page, live: starts from the board the server rendered (JSON in a data attribute, which a CSP without inline
// script allows: it is data, never run), follows the run's event stream from the board's sequence number, and redraws at
// most once a frame. EventSource reconnects by itself and sends Last-Event-ID, so a dropped connection loses nothing.
import { applyEvent, type BoardModel, type LaneModel, type WireEvent } from '../model/lanes.ts';
import { boardView, formatDuration, laneOpen } from '../model/run-view.ts';
import { patch } from './dom.ts';

const data = document.getElementById('board-data');
const root = document.getElementById('board');
if (data && root) follow(JSON.parse(data.dataset.json ?? '{}') as { runId: string; board: BoardModel }, root);

function follow({ runId, board }: { runId: string; board: BoardModel }, root: HTMLElement): void {
  const ctx = { runId };
  // A lane the user opened or closed stays so; the others follow the default (few lanes open, failed ones open).
  const chosen = new Map<string, boolean>();
  const drawn = new Map<string, boolean>();
  const openOf = (lane: LaneModel) => {
    const open = chosen.get(lane.key) ?? laneOpen(board, lane);
    drawn.set(lane.key, open);
    return open;
  };
  root.addEventListener(
    'toggle',
    (event) => {
      const details = event.target as HTMLDetailsElement;
      const key = details.parentElement?.dataset.lane;
      if (key && drawn.get(key) !== details.open) chosen.set(key, details.open);
    },
    true,
  );

  let scheduled = false;
  const draw = () => {
    scheduled = false;
    patch(root, boardView(board, ctx, openOf));
    if (board.ended) document.getElementById('cancel')?.remove();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // Hidden tabs get no animation frames: a timer keeps the board current for when the tab comes back.
    if (document.hidden) setTimeout(draw, 500);
    else requestAnimationFrame(draw);
  };
  if (board.ended) return;

  const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events?after=${board.seq}`);
  const showState = (state: string) => {
    const badge = document.querySelector('#run-state .state');
    const icon = document.querySelector('#run-state .icon');
    if (badge) badge.textContent = state;
    if (icon) icon.textContent = { cancelling: '■', cancelled: '■', ok: '✓', failed: '✗', running: '▶', lost: '⚠' }[state] ?? '…';
    document.querySelector('#run-state .badge')?.setAttribute('class', `badge state-${state}`);
  };
  source.onmessage = (message) => {
    const event = JSON.parse(message.data) as WireEvent;
    // The server's own events: the run queued, running, being cancelled, ended.
    if (event.kind === 'state' && typeof event.state === 'string') showState(event.state);
    if (typeof event.seq !== 'number' && message.lastEventId) event.seq = Number(message.lastEventId);
    applyEvent(board, event, Date.now());
    schedule();
  };
  source.addEventListener('end', (message) => {
    source.close();
    const run = JSON.parse((message as MessageEvent<string>).data || '{}') as { state?: unknown; durationMs?: unknown };
    if (typeof run.state === 'string') showState(run.state);
    const took = document.getElementById('run-duration');
    if (took && typeof run.durationMs === 'number') took.textContent = formatDuration(run.durationMs);
    applyEvent(board, { kind: 'end' }, Date.now());
    schedule();
  });
  document.documentElement.dataset.live = 'yes';
}
