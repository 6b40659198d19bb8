import type { Writable } from 'node:stream';
import { describeError } from '../errors.ts';
import { jsonSafe } from './json-safe.ts';
import type { HostRun, RunRecorder } from './record.ts';

/** Lanes still waiting or running when the run ended (an interrupt) are reported as what they became. */
function finalStatus(lane: HostRun): string {
  if (lane.status === 'waiting') return 'skipped';
  if (lane.status === 'running') return 'interrupted';
  return lane.status;
}

function hostEntry(lane: HostRun) {
  const status = finalStatus(lane);
  return {
    host: lane.host ?? null,
    status,
    ok: status === 'ok',
    skipped: status === 'skipped',
    durationMs: Math.round(lane.durationMs),
    ...(status === 'ok' ? { value: jsonSafe(lane.value) ?? null } : {}),
    error: lane.detail ?? lane.error ?? null,
    reason: lane.reason ?? (lane.status === 'waiting' ? 'not run' : null),
    ...(lane.batch !== undefined ? { batch: lane.batch } : {}),
    ...(lane.gate ? { gate: { ...lane.gate } } : {}),
    commands: lane.commands.map((command) => ({
      runner: command.runner,
      command: command.command,
      exitCode: command.code,
      signal: command.signal,
      ok: command.ok,
      durationMs: Math.round(command.durationMs),
      dryRun: command.dryRun,
    })),
  };
}

/** The one JSON document `fab --json` writes to stdout when the run ends. */
export function runDocument(recorder: RunRecorder, exitCode: number, meta: { dryRun: boolean }) {
  return {
    version: 1,
    exitCode,
    ok: exitCode === 0,
    interrupted: recorder.interrupted,
    dryRun: meta.dryRun,
    durationMs: Math.round(recorder.durationMs()),
    tasks: [
      ...recorder.runs.map((run) => ({
        task: run.task,
        invocation: run.invocation,
        parent: run.parent ? { invocation: run.parent.invocation, host: run.parent.host ?? null } : null,
        hosts: run.hosts.map(hostEntry),
        ...(run.batches
          ? {
              maxFail: run.maxFail ?? null,
              gate: run.gate ?? null,
              batches: run.batches.map((batch) => ({ batch: batch.number, hosts: batch.hosts, state: batch.state, failed: batch.failed, stopped: batch.stopped ?? null })),
              rollout: recorder.rolloutOf(run),
            }
          : run.gate
            ? { gate: run.gate }
            : {}),
      })),
      ...recorder.notReached().map((task) => ({ task, invocation: null, parent: null, status: 'skipped', reason: 'not run: the run stopped before this task', hosts: [] })),
    ],
    failedHosts: recorder.failedHosts(),
    ...(recorder.locks.length ? { locks: recorder.locks.map((lock) => ({ ...lock })) } : {}),
  };
}

export function writeRunDocument(out: Writable, recorder: RunRecorder, exitCode: number, meta: { dryRun: boolean }): void {
  out.write(`${JSON.stringify(runDocument(recorder, exitCode, meta), null, 2)}\n`);
}

/** For a run that ran no task: it failed before any started (bad host, unknown task, fabfile that does not load), or had nothing to do. */
export function writeBareDocument(out: Writable, exitCode: number, error?: unknown): void {
  const doc = { version: 1, exitCode, ok: exitCode === 0, interrupted: false, ...(error === undefined ? {} : { error: describeError(error) }), tasks: [], failedHosts: [] };
  out.write(`${JSON.stringify(doc, null, 2)}\n`);
}
