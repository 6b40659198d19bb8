import { runInContext, type BatchInfo, type Scope } from '../env/context.ts';
import { FabError } from '../errors.ts';
import type { TaskArgs } from '../fabfile/args.ts';
import type { RegisteredTask } from '../fabfile/registry.ts';
import { isInterrupted } from '../ops/command/abort.ts';
import { events, type FabEvent } from '../report/events.ts';
import { planBatches } from './batches.ts';
import { budgetExceeded } from './budget.ts';
import { checkGate, type Gate } from './gate.ts';
import type { DeployLock } from './lock.ts';
import type { Rollout } from './rollout.ts';
import { currentHostFor, notStarted, runTaskOnHost, stopsRun, type TaskOutcome } from './runner.ts';

export interface RolloutRun {
  task: RegisteredTask;
  args: TaskArgs;
  id: number;
  hosts: string[];
  /** Hosts at once within a batch (the task's parallel/serial settings). */
  width: number;
  scope: Scope;
  rollout: Rollout;
  plan: Extract<FabEvent, { kind: 'task-plan' }>;
  lock?: DeployLock;
}

function pause(seconds: number): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (isInterrupted() || Date.now() - started >= seconds * 1000) {
        clearInterval(tick);
        resolve();
      }
    }, Math.min(200, seconds * 1000));
  });
}

/** Runs fn over items, at most width at once, until stop() says no more may start. */
async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>, stop: () => boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (!stop() && !isInterrupted() && next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
}

/** Checks a host's gate in its own context (so a command gate's run() goes to that host); a failure fails the host. */
async function gateHost(run: RolloutRun, gate: Gate, batch: BatchInfo, host: string, result: TaskOutcome): Promise<TaskOutcome> {
  const started = performance.now();
  const context = { host: currentHostFor(host), hostEnv: undefined, scope: run.scope, task: run.task.name, invocation: run.id, batch };
  const info = { host, batch: { number: batch.number, of: batch.of, hosts: [...batch.hosts] } };
  const checked = await runInContext(context, () => checkGate(gate, info));
  events.emit({ kind: 'gate', task: run.task.name, invocation: run.id, batch: batch.number, host, gate: gate.label, ok: checked.ok, attempts: checked.attempts, message: checked.message, durationMs: performance.now() - started });
  if (checked.ok) return result;
  const error = new FabError('GATE_FAILED', `health gate failed on ${host} after ${checked.attempts} attempt${checked.attempts === 1 ? '' : 's'}: ${gate.label}: ${checked.message}`, { host });
  return { ...result, status: 'failed', ok: false, error };
}

/**
 * A task over its hosts, batch by batch: the whole task runs on a batch (with the task's own parallel /
 * serial width) and its gates pass or fail before the next batch starts. The first batch is the canary:
 * any failure there stops the run. Later, the failure budget counts failed hosts over every host done so
 * far; once exceeded, no new host starts — neither in the batch (it would be exceeded at its end anyway)
 * nor in later batches. Without batches, the hosts are one batch and no canary rule applies.
 */
export async function runRollout(run: RolloutRun): Promise<TaskOutcome[]> {
  const { task, rollout, hosts, id } = run;
  const batched = rollout.sizes !== undefined && hosts.length > 0;
  const batches: (string | undefined)[][] = batched ? planBatches(hosts, rollout.sizes!) : [hosts.length ? hosts : [undefined]];
  events.emit({ ...run.plan, ...(batched ? { batches: batches as string[][], maxFail: rollout.describe.maxFail } : {}), ...(rollout.gate ? { gate: rollout.gate.label } : {}) });
  const outcomes = new Map<string | undefined, TaskOutcome>();
  let failed = 0;
  let done = 0;
  let stopped: string | undefined;
  let lost: string | undefined;
  for (const [index, members] of batches.entries()) {
    if (stopped || isInterrupted()) break;
    if (run.lock?.lost) {
      stopped = `not run: ${run.lock.lost}`;
      lost = run.lock.lost;
      break;
    }
    if (index > 0 && rollout.wait > 0) {
      events.emit({ kind: 'status', message: `batch ${index + 1}/${batches.length} of ${task.name} starts in ${rollout.wait}s (--batch-wait)` });
      await pause(rollout.wait);
      if (isInterrupted()) break;
    }
    const canary = batched && index === 0 && batches.length > 1;
    const batch: BatchInfo | undefined = batched ? { number: index + 1, of: batches.length, hosts: members as string[], task: task.name, invocation: id } : undefined;
    if (batch) events.emit({ kind: 'batch-start', task: task.name, invocation: id, batch: batch.number, batches: batch.of, hosts: [...batch.hosts] });
    const denominator = done + members.length;
    const failedHere: string[] = [];
    let halt = false;
    let started = 0;
    await pool(members, run.width, async (host) => {
      started++;
      const result = await runTaskOnHost(task, run.args, host, id, run.scope, batch);
      outcomes.set(host, result);
      if (!stopsRun(result)) return;
      failed++;
      failedHere.push(host ?? 'local');
      if (canary || budgetExceeded(rollout.budget, failed, denominator)) halt = true;
    }, () => halt);
    if (rollout.gate && !isInterrupted()) {
      const gate = rollout.gate;
      const passed = members.filter((host): host is string => host !== undefined && outcomes.get(host)?.status === 'ok');
      // Without batches, a gate sees all the hosts as one batch.
      const where = batch ?? { number: 1, of: 1, hosts, task: task.name, invocation: id };
      await pool(passed, run.width, async (host) => {
        const result = await gateHost(run, gate, where, host, outcomes.get(host)!);
        outcomes.set(host, result);
        if (result.status === 'failed') {
          failed++;
          failedHere.push(host);
        }
      }, () => false);
    }
    done += started;
    if (isInterrupted()) stopped = undefined;
    else if (canary && failedHere.length > 0) stopped = 'not run: the canary batch failed';
    else if (budgetExceeded(rollout.budget, failed, done)) {
      stopped = rollout.describe.maxFail === '0' ? 'not run: an earlier host failed' : `not run: the failure budget was exceeded (${failed} of ${done} hosts failed; --max-fail ${rollout.describe.maxFail})`;
    }
    if (batch) events.emit({ kind: 'batch-end', task: task.name, invocation: id, batch: batch.number, batches: batch.of, failed: failedHere, ...(stopped && index < batches.length - 1 ? { stopped: stopped.replace(/^not run: /, '') } : {}) });
  }
  const targets = batches.flat();
  const results = targets.map((host) => outcomes.get(host) ?? notStarted(task, host, id, stopped));
  // Someone removed or took the lock: the hosts left are not deployed, and the run must not look successful.
  if (lost) throw new FabError('LOCK_LOST', `${lost} while the task ran; no further batch was started (see fab lock status and the lock directory's audit.log)`);
  return results;
}
