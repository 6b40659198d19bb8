import type { Writable } from 'node:stream';
import { env } from '../env/env.ts';
import { describeError } from '../errors.ts';
import { writeLastRun } from '../exec/last-run.ts';
import { hostsForTask, type CliTargets } from '../exec/plan.ts';
import { resetRunState, runPlan, type RunPlanItem } from '../exec/runner.ts';
import { LockRegistry } from '../exec/lock.ts';
import { rolloutFor, type RolloutFlags } from '../exec/rollout.ts';
import { parseHostString } from '../hosts/spec.ts';
import { interruptRun, resetInterrupt } from '../ops/command/abort.ts';
import { colorSupported } from '../report/color.ts';
import { events } from '../report/events.ts';
import { writeRunDocument } from '../report/json.ts';
import { isHidden } from '../report/levels.ts';
import { LineReporter } from '../report/lines.ts';
import { LogDirReporter } from '../report/logfile.ts';
import { RunRecorder } from '../report/record.ts';
import { formatSummary } from '../report/summary.ts';
import { closeAll } from '../ssh/pool.ts';
import type { Io } from './main.ts';

/** After the first Ctrl-C, how long tasks get to wind down before the summary is printed anyway. */
const INTERRUPT_GRACE_MS = 4000;
/** How long closing connections may take at the end (a handshake in flight cannot be cut short). */
const CLOSE_TIMEOUT_MS = 3000;
/** How long releasing deploy locks may take after Ctrl-C (a lock not released goes stale after its TTL). */
const LOCK_RELEASE_TIMEOUT_MS = 10_000;

export interface SessionOptions {
  items: RunPlanItem[];
  cli: CliTargets;
  /** Where `.fab/last-run.json` lives (for -H @failed). */
  projectDir: string;
  json: boolean;
  /** `--events -`: stdout carries the event lines, so people's progress goes to stderr as with --json. */
  eventsOnStdout: boolean;
  linewise: boolean;
  noColor: boolean;
  /** The command line's rolling-deploy flags. */
  flags?: RolloutFlags;
}

type TTYish = Writable & { isTTY?: boolean; columns?: number };

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Bad roles, host strings and rolling settings fail before anything runs, not halfway through the second task. */
function checkTargets(items: RunPlanItem[], cli: CliTargets, flags: RolloutFlags | undefined): void {
  for (const item of items) {
    for (const host of hostsForTask(item.invocation, item.task.options, cli, env as never)) parseHostString(host);
    rolloutFor(item.task, flags);
  }
}

/**
 * With --json, stdout carries the JSON document and nothing else: what the fabfile itself prints
 * (console.log) goes to stderr for the run.
 */
function divertStdout(io: Io): () => void {
  if (io.stdout !== process.stdout) return () => {};
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  return () => {
    process.stdout.write = write;
  };
}

/**
 * One run of tasks x hosts with its reporters: the terminal view (listr2) or prefixed lines, plus
 * --json and --log-dir; the first Ctrl-C (io.signal) ends running commands, and the summary so far is
 * printed all the same. Returns the exit status.
 */
export async function runSession(session: SessionOptions, io: Io): Promise<number> {
  checkTargets(session.items, session.cli, session.flags);
  resetInterrupt();
  resetRunState();
  const recorder = new RunRecorder();
  const detach = [recorder.attach(events)];
  const stdout = io.stdout as TTYish;
  const machineStdout = session.json || session.eventsOnStdout;
  const useListr = !machineStdout && !session.linewise && io.stdout === process.stdout && Boolean(process.stdout.isTTY);
  // With --json, people still see progress, on stderr.
  const human = (machineStdout ? io.stderr : io.stdout) as TTYish;
  const color = colorSupported(human, session.noColor);
  const listr = useListr ? new (await import('../report/listr.ts')).ListrReporter(recorder) : undefined;
  detach.push(listr ? listr.attach(events) : new LineReporter(human, io.stderr, color).attach(events));
  const logDir = typeof env.logDir === 'string' && env.logDir ? new LogDirReporter(env.logDir) : undefined;
  if (logDir) detach.push(logDir.attach(events));
  const restoreStdout = machineStdout ? divertStdout(io) : () => {};

  let interrupting: Promise<void> | undefined;
  const stopWaiting = new Promise<void>((resolve) => {
    const onAbort = () => {
      interrupting ??= interruptRun(undefined, io.signal?.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
      void delay(INTERRUPT_GRACE_MS).then(resolve);
    };
    if (io.signal?.aborted) onAbort();
    else io.signal?.addEventListener('abort', onAbort, { once: true });
  });

  let exitCode = 1;
  const locks = new LockRegistry();
  try {
    try {
      await Promise.race([runPlan(session.items, session.cli, { locks, ...(session.flags ? { flags: session.flags } : {}) }), stopWaiting]);
      if (interrupting) await interrupting;
    } finally {
      // After Ctrl-C or SIGTERM the run may still be winding down: its locks go back before the connections close.
      await Promise.race([locks.releaseAll(), delay(LOCK_RELEASE_TIMEOUT_MS)]);
      await Promise.race([closeAll(), delay(CLOSE_TIMEOUT_MS)]);
    }
    exitCode = recorder.exitCode();
  } finally {
    events.emit({ kind: 'run-end', exitCode });
    const warnings = (await listr?.finish()) ?? [];
    restoreStdout();
    for (const warning of warnings) io.stderr.write(`${warning}\n`);
    const summary = isHidden('status') ? '' : formatSummary(recorder, { color, ...(human.isTTY && human.columns ? { width: human.columns } : {}) });
    if (summary) human.write(`\n${summary}`);
    for (const stop of detach) stop();
    logDir?.close();
  }
  if (session.json) writeRunDocument(stdout, recorder, exitCode, { dryRun: Boolean(env.dryRun) });
  recordRun(session, recorder, exitCode, io.stderr);
  return exitCode;
}

function recordRun(session: SessionOptions, recorder: RunRecorder, exitCode: number, stderr: Writable): void {
  const hosts = recorder.hosts();
  if (env.dryRun || hosts.length === 0) return;
  try {
    writeLastRun(session.projectDir, { tasks: recorder.planned, exitCode, hosts, failed: recorder.failedHosts() });
  } catch (error) {
    stderr.write(`fab: warning: could not record this run for -H @failed: ${describeError(error)}\n`);
  }
}
