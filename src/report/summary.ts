import { paint, type Color } from './color.ts';
import type { HostRun, RunRecorder } from './record.ts';

export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

const RESULT_COLOR: Record<string, Color> = { ok: 'green', failed: 'red', interrupted: 'red', skipped: 'yellow' };

interface Row {
  task: string;
  host: string;
  result: string;
  time: string;
  note: string;
}

function result(lane: HostRun): string {
  if (lane.status === 'waiting') return 'skipped';
  if (lane.status === 'running') return 'interrupted';
  return lane.status;
}

function rows(recorder: RunRecorder): Row[] {
  const table: Row[] = [];
  for (const run of recorder.runs) {
    const task = run.parent ? `${run.task} (via execute on ${run.parent.host ?? 'local'})` : run.task;
    for (const lane of run.hosts) {
      const status = result(lane);
      const started = lane.status !== 'waiting' && !(status === 'skipped' && lane.durationMs === 0);
      const note = status === 'ok' ? '' : (lane.error ?? lane.reason ?? (lane.status === 'waiting' ? 'not run' : ''));
      table.push({ task, host: lane.host ?? 'local', result: status, time: started ? formatDuration(lane.durationMs) : '-', note });
    }
  }
  for (const task of recorder.notReached()) table.push({ task, host: '-', result: 'skipped', time: '-', note: 'not run: the run stopped before this task' });
  return table;
}

/**
 * The table printed after a run: task x host -> ok / failed / skipped / interrupted, the duration, and
 * for anything not ok, why. `width` truncates lines (a terminal); undefined leaves them whole (logs, CI).
 */
export function formatSummary(recorder: RunRecorder, options: { color: boolean; width?: number }): string {
  const table = rows(recorder);
  if (table.length === 0) return '';
  const counts = new Map<string, number>();
  for (const row of table) counts.set(row.result, (counts.get(row.result) ?? 0) + 1);
  const tally = ['ok', 'failed', 'interrupted', 'skipped'].filter((key) => counts.has(key)).map((key) => `${counts.get(key)} ${key}`);
  const header: Row = { task: 'TASK', host: 'HOST', result: 'RESULT', time: 'TIME', note: '' };
  const widths = {
    task: Math.max(...[header, ...table].map((row) => row.task.length)),
    host: Math.max(...[header, ...table].map((row) => row.host.length)),
    result: Math.max(...[header, ...table].map((row) => row.result.length)),
    time: Math.max(...[header, ...table].map((row) => row.time.length)),
  };
  const line = (row: Row, paintResult: boolean) => {
    const prefix = `  ${row.task.padEnd(widths.task)}  ${row.host.padEnd(widths.host)}  `;
    const resultText = row.result.padEnd(widths.result);
    const middle = `  ${row.time.padStart(widths.time)}  `;
    const used = prefix.length + resultText.length + middle.length;
    const note = options.width && used + row.note.length > options.width ? `${row.note.slice(0, Math.max(10, options.width - used - 1))}…` : row.note;
    return `${prefix}${paintResult ? paint(options.color, RESULT_COLOR[row.result] ?? 'bold', resultText) : resultText}${middle}${note}`.trimEnd();
  };
  return [
    `${paint(options.color, 'bold', 'Summary:')} ${tally.join(', ')} in ${formatDuration(recorder.durationMs())}`,
    paint(options.color, 'dim', line(header, false)),
    ...table.map((row) => line(row, true)),
    ...rolloutLines(recorder, options.color),
  ].join('\n') + '\n';
}

/** For each rolling task: which hosts run the new version, which failed, which were never touched, and why it stopped. */
function rolloutLines(recorder: RunRecorder, color: boolean): string[] {
  const lines: string[] = [];
  for (const run of recorder.runs) {
    if (!run.batches) continue;
    const { updated, failed, untouched } = recorder.rolloutOf(run);
    const done = run.batches.filter((batch) => batch.state === 'done').length;
    const stopped = run.batches.find((batch) => batch.stopped)?.stopped;
    const list = (hosts: string[]) => hosts.join(', ') || 'none';
    lines.push(
      `${paint(color, 'bold', `${run.task}:`)} ${done} of ${run.batches.length} batches done${stopped ? `; stopped: ${stopped}` : ''}`,
      `  new version: ${list(updated)}`,
      ...(failed.length ? [`  ${paint(color, 'red', 'failed')}: ${list(failed)}`] : []),
      ...(untouched.length ? [`  never touched: ${list(untouched)}`] : []),
    );
  }
  return lines;
}
