import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { RunRequest } from './schemas.ts';

/** queued and running are live; the others are final. `lost`: the server died while the run was live. */
export type RunState = 'queued' | 'running' | 'ok' | 'failed' | 'cancelled' | 'lost';
export const FINAL_STATES: readonly RunState[] = ['ok', 'failed', 'cancelled', 'lost'];

export interface Caller {
  /** The token's name (token file), `local` on an open loopback server, or what a session plugin says. */
  name: string;
  role: 'read' | 'run';
}

export interface RunRow {
  id: number;
  state: RunState;
  request: RunRequest;
  targets: string[];
  startedBy: Caller;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  error: string | null;
  pid: number | null;
  lastSeq: number;
  summary: unknown;
}

export interface HostRow {
  invocation: number;
  task: string;
  host: string | null;
  status: string;
  exitCode: number | null;
  durationMs: number | null;
  error: string | null;
}

export interface EventRow {
  seq: number;
  host: string | null;
  data: string;
}

export interface ListFilter {
  task?: string;
  host?: string;
  state?: string;
  before?: number;
  limit: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  state TEXT NOT NULL,
  task_names TEXT NOT NULL,
  request TEXT NOT NULL,
  targets TEXT NOT NULL,
  started_by TEXT NOT NULL,
  idempotency_key TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  exit_code INTEGER,
  error TEXT,
  pid INTEGER,
  last_seq INTEGER NOT NULL DEFAULT 0,
  summary TEXT
);
CREATE INDEX IF NOT EXISTS runs_state ON runs(state, id);
CREATE TABLE IF NOT EXISTS run_hosts (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  invocation INTEGER NOT NULL,
  task TEXT NOT NULL,
  host TEXT NOT NULL,
  status TEXT NOT NULL,
  exit_code INTEGER,
  duration_ms INTEGER,
  error TEXT,
  PRIMARY KEY (run_id, invocation, host)
);
CREATE INDEX IF NOT EXISTS run_hosts_host ON run_hosts(host, run_id);
CREATE TABLE IF NOT EXISTS events (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  host TEXT,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
`;

type Raw = Record<string, unknown>;

function toRun(raw: Raw): RunRow {
  return {
    id: raw.id as number,
    state: raw.state as RunState,
    request: JSON.parse(raw.request as string) as RunRequest,
    targets: JSON.parse(raw.targets as string) as string[],
    startedBy: JSON.parse(raw.started_by as string) as Caller,
    createdAt: raw.created_at as number,
    startedAt: (raw.started_at as number | null) ?? null,
    endedAt: (raw.ended_at as number | null) ?? null,
    exitCode: (raw.exit_code as number | null) ?? null,
    error: (raw.error as string | null) ?? null,
    pid: (raw.pid as number | null) ?? null,
    lastSeq: raw.last_seq as number,
    summary: raw.summary ? JSON.parse(raw.summary as string) : null,
  };
}

/**
 * The server's memory: one SQLite file (WAL) under --data with runs, each host's result per task, and every
 * event with its sequence number. Every write is a committed transaction before anyone is told of it, so a
 * server killed with SIGKILL loses no event a client has seen.
 */
export class Store {
  readonly db: Database.Database;
  private readonly statements;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(dataDir, 'fab-serve.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      insertRun: db.prepare(
        `INSERT INTO runs (state, task_names, request, targets, started_by, idempotency_key, created_at) VALUES ('queued', ?, ?, ?, ?, ?, ?)`,
      ),
      byKey: db.prepare('SELECT * FROM runs WHERE idempotency_key = ?'),
      get: db.prepare('SELECT * FROM runs WHERE id = ?'),
      progress: db.prepare('SELECT state, last_seq FROM runs WHERE id = ?'),
      hosts: db.prepare('SELECT * FROM run_hosts WHERE run_id = ? ORDER BY invocation, rowid'),
      live: db.prepare(`SELECT * FROM runs WHERE state IN ('queued', 'running') ORDER BY id`),
      start: db.prepare(`UPDATE runs SET state = 'running', started_at = ?, pid = ? WHERE id = ?`),
      finish: db.prepare('UPDATE runs SET state = ?, ended_at = ?, exit_code = ?, error = ?, summary = ? WHERE id = ?'),
      bumpSeq: db.prepare('UPDATE runs SET last_seq = ? WHERE id = ?'),
      insertEvent: db.prepare('INSERT INTO events (run_id, seq, host, data) VALUES (?, ?, ?, ?)'),
      eventsAfter: db.prepare('SELECT seq, host, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      eventsAfterHost: db.prepare('SELECT seq, host, data FROM events WHERE run_id = ? AND seq > ? AND (host = ? OR host IS NULL) ORDER BY seq LIMIT ?'),
      planHost: db.prepare(`INSERT OR IGNORE INTO run_hosts (run_id, invocation, task, host, status) VALUES (?, ?, ?, ?, 'waiting')`),
      hostStatus: db.prepare('UPDATE run_hosts SET status = ?, duration_ms = COALESCE(?, duration_ms), error = COALESCE(?, error) WHERE run_id = ? AND invocation = ? AND host = ?'),
      hostExit: db.prepare(`UPDATE run_hosts SET exit_code = ? WHERE run_id = ? AND host = ? AND status = 'running'`),
      counts: db.prepare('SELECT state, COUNT(*) AS n FROM runs GROUP BY state'),
      expired: db.prepare(
        `SELECT id FROM runs WHERE state IN ('ok', 'failed', 'cancelled', 'lost') AND (ended_at < ? OR id NOT IN (SELECT id FROM runs WHERE state IN ('ok', 'failed', 'cancelled', 'lost') ORDER BY id DESC LIMIT ?))`,
      ),
      remove: db.prepare('DELETE FROM runs WHERE id = ?'),
    };
  }

  createRun(request: RunRequest, targets: string[], caller: Caller, idempotencyKey: string | undefined, now = Date.now()): RunRow {
    const names = ` ${request.tasks.map((task) => task.name).join(' ')} `;
    const info = this.statements.insertRun.run(names, JSON.stringify(request), JSON.stringify(targets), JSON.stringify(caller), idempotencyKey ?? null, now);
    return this.get(Number(info.lastInsertRowid))!;
  }

  byIdempotencyKey(key: string): RunRow | undefined {
    const raw = this.statements.byKey.get(key) as Raw | undefined;
    return raw ? toRun(raw) : undefined;
  }

  get(id: number): RunRow | undefined {
    const raw = this.statements.get.get(id) as Raw | undefined;
    return raw ? toRun(raw) : undefined;
  }

  /** State and last sequence number only: what an event stream checks after every batch, without parsing the run. */
  progress(id: number): { state: RunState; lastSeq: number } | undefined {
    const raw = this.statements.progress.get(id) as { state: RunState; last_seq: number } | undefined;
    return raw ? { state: raw.state, lastSeq: raw.last_seq } : undefined;
  }

  hosts(id: number): HostRow[] {
    return (this.statements.hosts.all(id) as Raw[]).map((raw) => ({
      invocation: raw.invocation as number,
      task: raw.task as string,
      host: raw.host === '' ? null : (raw.host as string),
      status: raw.status as string,
      exitCode: (raw.exit_code as number | null) ?? null,
      durationMs: (raw.duration_ms as number | null) ?? null,
      error: (raw.error as string | null) ?? null,
    }));
  }

  live(): RunRow[] {
    return (this.statements.live.all() as Raw[]).map(toRun);
  }

  list(filter: ListFilter): RunRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.task) (where.push(`task_names LIKE ? ESCAPE '\\'`), params.push(`% ${filter.task.replace(/[%_\\]/g, '\\$&')} %`));
    if (filter.state) (where.push('state = ?'), params.push(filter.state));
    if (filter.before !== undefined) (where.push('id < ?'), params.push(filter.before));
    if (filter.host) (where.push('id IN (SELECT run_id FROM run_hosts WHERE host = ?)'), params.push(filter.host));
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, filter.limit) as Raw[]).map(toRun);
  }

  /** Host results of many runs at once (history rows count ok and failed hosts). */
  hostCounts(ids: number[]): Map<number, Record<string, number>> {
    const counts = new Map<number, Record<string, number>>();
    if (ids.length === 0) return counts;
    const rows = this.db.prepare(`SELECT run_id, status, COUNT(*) AS n FROM run_hosts WHERE run_id IN (${ids.map(() => '?').join(',')}) GROUP BY run_id, status`).all(...ids) as Raw[];
    for (const row of rows) {
      const entry = counts.get(row.run_id as number) ?? {};
      entry[row.status as string] = row.n as number;
      counts.set(row.run_id as number, entry);
    }
    return counts;
  }

  markStarted(id: number, pid: number, now = Date.now()): void {
    this.statements.start.run(now, pid, id);
  }

  markFinished(id: number, state: RunState, exitCode: number | null, error: string | null, summary: unknown, now = Date.now()): void {
    this.statements.finish.run(state, now, exitCode, error, summary === undefined || summary === null ? null : JSON.stringify(summary), id);
  }

  /**
   * Stores events in one transaction, numbering them from the run's last sequence number; `apply` runs inside it
   * (host results follow their events exactly). Returns the last sequence number.
   */
  appendEvents(id: number, events: Record<string, unknown>[], apply: (event: Record<string, unknown>) => void = () => {}): number {
    return this.db.transaction(() => {
      let seq = (this.db.prepare('SELECT last_seq FROM runs WHERE id = ?').get(id) as { last_seq: number }).last_seq;
      for (const event of events) {
        seq += 1;
        const host = typeof event.host === 'string' ? event.host : null;
        this.statements.insertEvent.run(id, seq, host, JSON.stringify({ seq, ...event }));
        apply(event);
      }
      this.statements.bumpSeq.run(seq, id);
      return seq;
    })();
  }

  eventsAfter(id: number, after: number, limit: number, host?: string): EventRow[] {
    return (host === undefined ? this.statements.eventsAfter.all(id, after, limit) : this.statements.eventsAfterHost.all(id, after, host, limit)) as EventRow[];
  }

  planHost(id: number, invocation: number, task: string, host: string | undefined): void {
    this.statements.planHost.run(id, invocation, task, host ?? '');
  }

  hostStatus(id: number, invocation: number, host: string | undefined, status: string, durationMs?: number, error?: string): void {
    this.statements.hostStatus.run(status, durationMs ?? null, error ?? null, id, invocation, host ?? '');
  }

  hostExit(id: number, host: string | undefined, exitCode: number | null): void {
    this.statements.hostExit.run(exitCode, id, host ?? '');
  }

  countsByState(): Record<string, number> {
    return Object.fromEntries((this.statements.counts.all() as Raw[]).map((row) => [row.state as string, row.n as number]));
  }

  /** Finished runs past --keep-runs or older than --keep-days; returns their ids (their log folders go too). */
  prune(keepRuns: number, keepDays: number, now = Date.now()): number[] {
    const ids = (this.statements.expired.all(now - keepDays * 86_400_000, keepRuns) as Raw[]).map((row) => row.id as number);
    this.db.transaction(() => {
      for (const id of ids) this.statements.remove.run(id);
    })();
    return ids;
  }

  close(): void {
    this.db.close();
  }
}
