// What a lane keeps of what its host says: the last lines of output (a line rewritten with \r as its last state,
// endless lines clipped) and its last few transfers with their rate. Bounded whatever the host prints.
import type { LaneModel } from './lanes.ts';

/** Lines of output a lane keeps (the DOM shows no more; the full log is a link away). */
export const LANE_LINES = 40;
/** Characters a kept line keeps; a host printing megabytes without a newline costs no more. */
export const LINE_CHARS = 2000;
const TRANSFERS_KEPT = 3;

const clip = (line: string) => (line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS)}…` : line);

export function keepLine(lane: LaneModel, raw: string): void {
  // A line rewritten with \r (a progress meter) counts as its last state.
  const pieces = raw.split('\r').filter((piece) => piece.trim() !== '');
  lane.lines.push(clip((pieces[pieces.length - 1] ?? '').trimEnd()));
  lane.lineCount++;
  if (lane.lines.length > LANE_LINES) lane.lines.splice(0, lane.lines.length - LANE_LINES);
}

export function addOutput(lane: LaneModel, text: string, prefix: string): void {
  const pieces = (lane.partial + text).split('\n');
  const rest = pieces.pop() ?? '';
  for (const piece of pieces) keepLine(lane, prefix && piece ? prefix + piece : piece);
  lane.partial = rest.length > LINE_CHARS * 2 ? rest.slice(-LINE_CHARS * 2) : rest;
}

export interface TransferUpdate {
  direction: 'put' | 'get';
  local: string;
  remote: string;
  bytes: number;
  total: number;
  done: boolean;
  error: string;
}

/** A transfer event on a lane: the same file moving updates its entry; the rate is from the events' own times. */
export function updateTransfer(lane: LaneModel, update: TransferUpdate, t: number): void {
  const path = update.direction === 'put' ? update.local : update.remote;
  const id = `${update.direction}\u0000${update.local}\u0000${update.remote}`;
  let item = lane.transfers.find((x) => x.id === id && !x.done);
  if (!item) {
    item = { id, direction: update.direction, name: path.split('/').filter(Boolean).pop() ?? path, bytes: 0, total: -1, rate: 0, done: false, error: '', startT: t };
    lane.transfers.push(item);
    if (lane.transfers.length > TRANSFERS_KEPT) lane.transfers.splice(0, lane.transfers.length - TRANSFERS_KEPT);
  }
  item.bytes = update.bytes;
  item.total = update.total;
  item.done = update.done;
  item.error = update.error;
  item.rate = t > item.startT ? Math.round((item.bytes * 1000) / (t - item.startT)) : item.rate;
}

/** The lines a lane shows: the kept ones and the one being written. */
export function shownLines(lane: LaneModel): string[] {
  return lane.partial ? [...lane.lines, clip(lane.partial.split('\r').filter(Boolean).pop() ?? '')] : lane.lines;
}

