// What the pages read from a run as the API gives it (GET /api/runs, GET /api/runs/{id}); fields are read loosely,
// so a page shows what there is rather than failing on what is not.
import { formatDuration } from '../model/run-view.ts';

export interface RunInfo {
  id: string | number;
  state: string;
  tasks?: ({ name: string; args?: unknown } | string)[];
  hosts?: string[];
  roles?: string[];
  startedBy?: { name: string; role?: string } | string;
  createdAt?: string | number;
  startedAt?: string | number | null;
  endedAt?: string | number | null;
  exitCode?: number | null;
  /** Host results by status. */
  hostCounts?: Record<string, number>;
  /** Why the run as a whole failed (one line), when it did. */
  error?: string | null;
}

export const startedBy = (run: RunInfo): string => (typeof run.startedBy === 'string' ? run.startedBy : (run.startedBy?.name ?? ''));

export const RUN_STATES = ['queued', 'running', 'ok', 'failed', 'cancelled', 'lost'];
/** Runs that may still change: the page follows them live and offers Cancel. */
export const LIVE_STATES = new Set(['queued', 'running', 'cancelling']);

function argsText(args: unknown): string {
  if (Array.isArray(args)) return args.map(String).join(',');
  if (args && typeof args === 'object') {
    return Object.entries(args as Record<string, unknown>)
      .map(([k, v]) => (k === '_' && Array.isArray(v) ? v.map(String).join(',') : `${k}=${String(v)}`))
      .join(',');
  }
  return '';
}

/** `deploy:branch=main` as a person would have typed it. */
export function runTitle(run: RunInfo): string {
  const tasks = (run.tasks ?? []).map((t) => (typeof t === 'string' ? t : `${t.name}${argsText(t.args) ? `:${argsText(t.args)}` : ''}`));
  return tasks.join(' ') || `run ${run.id}`;
}

const ms = (value: string | number | null | undefined): number | undefined => {
  if (value === null || value === undefined) return undefined;
  const t = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
};

export function when(run: RunInfo): string {
  const t = ms(run.startedAt) ?? ms(run.createdAt);
  return t === undefined ? '' : `${new Date(t).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

export function duration(run: RunInfo): string {
  const start = ms(run.startedAt) ?? ms(run.createdAt);
  const end = ms(run.endedAt);
  return start !== undefined && end !== undefined ? formatDuration(end - start) : LIVE_STATES.has(run.state) ? 'running' : '';
}

export const runHref = (id: string | number) => `/runs/${encodeURIComponent(String(id))}`;
