// The run page's state, built from the run's events alone (as `fab --events` writes them and the server replays them):
// a group per task named in the run, a lane per host. The whole board is a plain JSON value, so the server can build it
// from stored events, render it, and hand it to the browser, which goes on applying events from the next sequence
// number. Runs in the browser and in Node: no DOM, no Node modules.

import { addOutput, keepLine, LANE_LINES, LINE_CHARS, shownLines, updateTransfer } from './lane-output.ts';

export { LANE_LINES, LINE_CHARS, shownLines };

export type LaneState = 'queued' | 'running' | 'ok' | 'failed' | 'skipped' | 'interrupted';

const WARNINGS_KEPT = 50;

export interface TransferModel {
  id: string;
  direction: 'put' | 'get';
  name: string;
  bytes: number;
  /** -1 while unknown (a stream). */
  total: number;
  /** Bytes per second since the transfer started. */
  rate: number;
  done: boolean;
  error: string;
  startT: number;
}

export interface LaneModel {
  key: string;
  /** '' for a task that runs once, locally. */
  host: string;
  task: string;
  state: LaneState;
  command: string;
  /** What a nested execute() on this lane is doing. */
  note: string;
  lines: string[];
  /** The line being written (no newline yet). */
  partial: string;
  /** Every line ever seen, kept or not. */
  lineCount: number;
  transfers: TransferModel[];
  error: string;
  startT: number | null;
  endT: number | null;
  /** Bumped on every change: the browser redraws the lanes whose rev moved. */
  rev: number;
}

export interface GroupModel {
  invocation: number;
  task: string;
  lanes: string[];
}

export interface BoardModel {
  /** The last event's sequence number: the browser follows the stream from here. */
  seq: number;
  tasks: string[];
  groups: GroupModel[];
  lanes: Record<string, LaneModel>;
  /** Per host, the lanes its current tasks report into (a stack: execute() nests), with the prefix a nested task's lines get. */
  active: Record<string, { lane: string; prefix: string }[]>;
  /** Nested invocations (execute()) and the lane of the task that called them. */
  callers: Record<string, string>;
  warnings: string[];
  interrupted: boolean;
  ended: boolean;
  exitCode: number | null;
  rev: number;
}

/** One event off the wire (`time` as `fab --events` writes it). Fields are read defensively: it is JSON from a server. */
export type WireEvent = { kind: string; seq?: number; time?: string } & Record<string, unknown>;

export function newBoard(): BoardModel {
  return { seq: 0, tasks: [], groups: [], lanes: {}, active: {}, callers: {}, warnings: [], interrupted: false, ended: false, exitCode: null, rev: 0 };
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown, fallback = 0): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const hostOf = (event: WireEvent): string => str(event.host);
const laneKey = (invocation: number, host: string) => `${invocation}/${host}`;

function touch(board: BoardModel, lane: LaneModel): void {
  lane.rev = ++board.rev;
}

/** The lane an operation on `host` reports into: its innermost running task, else its latest lane. */
function where(board: BoardModel, host: string): { lane: LaneModel; prefix: string } | undefined {
  const stack = board.active[host];
  const top = stack?.[stack.length - 1];
  if (top) {
    const lane = board.lanes[top.lane];
    return lane ? { lane, prefix: top.prefix } : undefined;
  }
  for (let g = board.groups.length - 1; g >= 0; g--) {
    const lane = board.lanes[laneKey(board.groups[g]!.invocation, host)];
    if (lane) return { lane, prefix: '' };
  }
  return undefined;
}

function plan(board: BoardModel, event: WireEvent): void {
  const invocation = num(event.invocation, -1);
  const task = str(event.task);
  const hosts = Array.isArray(event.hosts) ? event.hosts.map(str) : [];
  const parent = event.parent as { invocation?: unknown; host?: unknown } | undefined;
  if (parent && typeof parent === 'object') {
    const caller = board.lanes[laneKey(num(parent.invocation, -1), str(parent.host))] ?? board.lanes[board.callers[num(parent.invocation, -1)] ?? ''];
    if (!caller) return;
    board.callers[invocation] = caller.key;
    caller.note = `execute ${task} on ${hosts.join(', ') || 'local'}`;
    touch(board, caller);
    return;
  }
  const group: GroupModel = { invocation, task, lanes: [] };
  for (const host of hosts.length ? hosts : ['']) {
    const key = laneKey(invocation, host);
    board.lanes[key] = { key, host, task, state: 'queued', command: '', note: '', lines: [], partial: '', lineCount: 0, transfers: [], error: '', startT: null, endT: null, rev: 0 };
    touch(board, board.lanes[key]);
    group.lanes.push(key);
  }
  board.groups.push(group);
}

function taskStart(board: BoardModel, event: WireEvent, t: number): void {
  const invocation = num(event.invocation, -1);
  const host = hostOf(event);
  const own = board.lanes[laneKey(invocation, host)];
  const callerKey = board.callers[invocation];
  if (own) {
    own.state = 'running';
    own.startT = t;
    touch(board, own);
    (board.active[host] ??= []).push({ lane: own.key, prefix: '' });
  } else if (callerKey) {
    (board.active[host] ??= []).push({ lane: callerKey, prefix: `[${host || 'local'}] ` });
  }
}

function taskEnd(board: BoardModel, event: WireEvent, t: number): void {
  const invocation = num(event.invocation, -1);
  const host = hostOf(event);
  const own = board.lanes[laneKey(invocation, host)];
  const callerKey = board.callers[invocation];
  const target = own?.key ?? callerKey;
  const stack = board.active[host];
  if (stack && target) {
    const at = stack.map((entry) => entry.lane).lastIndexOf(target);
    if (at >= 0) stack.splice(at, 1);
    if (stack.length === 0) delete board.active[host];
  }
  const status = str(event.status) || (event.ok ? 'ok' : event.skipped ? 'skipped' : 'failed');
  if (!own) {
    const caller = callerKey ? board.lanes[callerKey] : undefined;
    if (caller) {
      caller.note = `execute ${str(event.task)} on ${host || 'local'}: ${status}`;
      touch(board, caller);
    }
    return;
  }
  own.state = (['ok', 'failed', 'skipped', 'interrupted'] as const).find((s) => s === status) ?? 'failed';
  own.error = own.state === 'ok' ? '' : str(event.detail) || str(event.error) || str(event.reason) || own.state;
  own.endT = t;
  if (own.startT === null && typeof event.durationMs === 'number') own.startT = t - event.durationMs;
  if (own.partial) {
    keepLine(own, own.partial);
    own.partial = '';
  }
  touch(board, own);
}

function transfer(board: BoardModel, event: WireEvent, t: number): void {
  const found = where(board, hostOf(event));
  if (!found) return;
  updateTransfer(found.lane, {
    direction: event.direction === 'get' ? 'get' : 'put',
    local: str(event.local),
    remote: str(event.remote),
    bytes: num(event.bytes),
    total: num(event.total, -1),
    done: event.done === true,
    error: str(event.error),
  }, t);
  touch(board, found.lane);
}

/** The run is over: lanes never started were skipped, lanes still running were interrupted. */
function finish(board: BoardModel, t: number): void {
  board.ended = true;
  for (const lane of Object.values(board.lanes)) {
    if (lane.state !== 'queued' && lane.state !== 'running') continue;
    lane.state = lane.state === 'queued' ? 'skipped' : 'interrupted';
    lane.error ||= lane.state === 'skipped' ? 'not run' : 'interrupted';
    lane.endT ??= t;
    touch(board, lane);
  }
  board.active = {};
}

/** Applies one event to the board. `now` stands in for the event's own time when it has none. */
export function applyEvent(board: BoardModel, event: WireEvent, now: number): void {
  if (typeof event.seq === 'number') {
    if (event.seq <= board.seq) return; // a replayed event already applied (a reconnect that overlapped)
    board.seq = event.seq;
  }
  const t = typeof event.time === 'string' ? num(Date.parse(event.time), now) : now;
  switch (event.kind) {
    case 'run-start':
      board.tasks = Array.isArray(event.tasks) ? event.tasks.map(str) : [];
      break;
    case 'task-plan':
      plan(board, event);
      break;
    case 'task-start':
      taskStart(board, event, t);
      break;
    case 'task-end':
      taskEnd(board, event, t);
      break;
    case 'command': {
      const found = event.hidden === true ? undefined : where(board, hostOf(event));
      if (!found) break;
      found.lane.command = `${found.prefix}${str(event.runner)}: ${str(event.command)}`;
      touch(board, found.lane);
      break;
    }
    case 'output': {
      const found = event.hidden === true ? undefined : where(board, hostOf(event));
      if (!found) break;
      addOutput(found.lane, str(event.text), found.prefix);
      touch(board, found.lane);
      break;
    }
    case 'transfer':
      transfer(board, event, t);
      break;
    case 'warning':
      board.warnings.push(`${hostOf(event) ? `[${hostOf(event)}] ` : ''}${str(event.message)}`);
      if (board.warnings.length > WARNINGS_KEPT) board.warnings.shift();
      board.rev++;
      break;
    case 'interrupt':
      board.interrupted = true;
      board.rev++;
      break;
    case 'run-end':
      board.exitCode = num(event.exitCode, 1);
      finish(board, t);
      break;
    case 'end':
      finish(board, t);
      break;
    default:
      break;
  }
}

export interface Summary {
  counts: Record<LaneState, number>;
  total: number;
}

export function summarize(board: BoardModel): Summary {
  const counts: Record<LaneState, number> = { queued: 0, running: 0, ok: 0, failed: 0, skipped: 0, interrupted: 0 };
  for (const lane of Object.values(board.lanes)) counts[lane.state]++;
  return { counts, total: Object.keys(board.lanes).length };
}
