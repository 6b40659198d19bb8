// Measuring child processes: wall time from spawn to exit, and the CPU time of the whole process tree
// (bash's `times` reports the user/system time of every child it waited for, which includes their own
// waited-for children: xargs' ssh processes, fab's own threads). Runs are interleaved A B A B ... so that
// load from other work on the machine falls on every variant alike; ratios are taken round by round.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PYTHON, PYTHON_DIR } from './fixtures.ts';

export interface Command {
  argv: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Give up after this long (ms); the run then fails. */
  timeoutMs?: number;
  /**
   * Measure through bench/python/rusage.py instead of bash's `times`: adds the peak RSS (of the largest process in
   * the tree), counts processes the command left in the background (then stops them), and times the command from
   * its exec, so the wrapper's start is left out.
   */
  rusage?: boolean;
  /** With `rusage`: stop the command after this long (ms) and resolve with `capped` (its wall time a lower bound). */
  capMs?: number;
}

export interface Sample {
  wallMs: number;
  /** user + system CPU of the process and all its descendants. */
  cpuMs: number;
  stdout: string;
  stderr: string;
  /** Largest RSS of any one process of the tree, when measured with `rusage`. */
  maxRssKiB?: number;
  /** Processes the command left running (stopped and counted), when measured with `rusage`. */
  leftovers?: number;
  /** Stopped at `capMs`: wallMs and cpuMs are what it had used by then. */
  capped?: boolean;
  /** CPU the server's sshd (its listener and every per-connection process it reaped) used during the run. */
  serverCpuMs?: number;
}

// "$@" runs the command untouched (no quoting); `times` goes to fd 3 so stdout stays the command's own.
const WRAPPER = '"$@"; status=$?; times >&3; exit $status';
const RUSAGE_WRAPPER = path.join(PYTHON_DIR, 'rusage.py');

function parseTimes(text: string): number {
  // Second line: children's user and system time, e.g. "0m0.012s 0m0.004s".
  const line = text.trim().split('\n')[1] ?? '';
  const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)];
  if (parts.length !== 2) throw new Error(`cannot read bash's times output: ${JSON.stringify(text)}`);
  return parts.reduce((sum, [, min, sec]) => sum + (Number(min) * 60 + Number(sec)) * 1000, 0);
}

/** Process groups of the commands running now: the bench stopping (Ctrl-C, a crash) stops them with it. */
const running = new Set<number>();
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
process.on('exit', () => running.forEach(killGroup));

/** Runs a command once; rejects when it exits non-zero or times out. */
export function measure(command: Command, during?: () => void): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const cap = command.capMs ? ['--cap', String(command.capMs / 1000)] : [];
    const wrapper = command.rusage ? [PYTHON, RUSAGE_WRAPPER, ...cap] : ['/bin/bash', '-c', WRAPPER, 'bench'];
    const child = spawn(wrapper[0]!, [...wrapper.slice(1), ...command.argv], {
      cwd: command.cwd,
      env: command.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // Its own process group, so that a time-out stops what the wrapped command started too (the bash wrapper's
      // children would otherwise run on, and load the machine under the next figures).
      detached: true,
    });
    const chunks: Record<'stdout' | 'stderr' | 'times', string> = { stdout: '', stderr: '', times: '' };
    child.stdout!.on('data', (d: Buffer) => (chunks.stdout += d));
    child.stderr!.on('data', (d: Buffer) => (chunks.stderr += d));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (chunks.times += d));
    const poll = during ? setInterval(during, 20) : undefined;
    if (child.pid !== undefined) running.add(child.pid);
    const timer = setTimeout(() => killGroup(child.pid!), command.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - started;
      running.delete(child.pid!);
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      if (code !== 0) {
        const tail = `${chunks.stderr}${chunks.stdout}`.trim().split('\n').slice(-5).join('\n');
        return reject(new Error(`${command.argv.slice(0, 4).join(' ')} ... exited with ${signal ?? code}:\n${tail}`));
      }
      try {
        if (command.rusage) {
          const usage = JSON.parse(chunks.times) as Pick<Sample, 'wallMs' | 'cpuMs' | 'maxRssKiB' | 'leftovers' | 'capped'>;
          return resolve({ ...usage, stdout: chunks.stdout, stderr: chunks.stderr });
        }
        resolve({ wallMs, cpuMs: parseTimes(chunks.times), stdout: chunks.stdout, stderr: chunks.stderr });
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** A variant: one run of one tool, measured however suits it (most just `measure` a command). */
export type Variant<S> = () => Promise<S>;

/**
 * Runs each variant `runs` times, interleaved (A B C A B C ...), after one unrecorded warm-up round
 * (caches, tsx's transform cache, sshd's first fork). A variant set to undefined is skipped.
 */
export async function interleave<K extends string, S>(
  variants: Record<K, Variant<S> | undefined>,
  runs: number,
  options: {
    warmup?: boolean;
    /** Fewer runs for a slow variant: it takes part in the first recorded rounds only, with no warm-up run. */
    runsOf?: Partial<Record<K, number>>;
    /**
     * Variants whose failure must not cost the figure (an anchor timing out on a loaded machine): a failed one is
     * run no more, and its first error is put here (the row then says why its cell is empty).
     */
    failures?: Partial<Record<string, string>>;
  } = {},
): Promise<Record<K, S[]>> {
  const names = (Object.keys(variants) as K[]).filter((name) => variants[name] !== undefined);
  const samples = Object.fromEntries(names.map((name) => [name, [] as S[]])) as Record<K, S[]>;
  const warmup = options.warmup === false ? 0 : 1;
  for (let round = 0; round < runs + warmup; round++) {
    for (const name of names) {
      const recorded = round - warmup;
      const limit = options.runsOf?.[name];
      if (recorded >= Math.min(runs, limit ?? runs) || (limit !== undefined && recorded < 0)) continue;
      const { failures } = options;
      if (failures?.[name] !== undefined) continue;
      let sample: S;
      try {
        sample = await variants[name]!();
      } catch (error) {
        if (!failures || !(name in failures)) throw error;
        // One line, cut short: a tool may put a whole report in its last line (Fabric's GroupException lists every host).
        const last = String((error as Error).message).split('\n').filter(Boolean).slice(-1)[0] ?? 'failed';
        failures[name] = last.length > 200 ? `${last.slice(0, 200)}…` : last;
        continue;
      }
      if (recorded >= 0) samples[name].push(sample);
    }
  }
  return samples;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median of the round-by-round ratios a[i] / b[i] (runs of a and b were interleaved). */
export function pairedRatio(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  return median(Array.from({ length: n }, (_, i) => a[i]! / b[i]!));
}

/** The JSON a bench script printed on a line of its own starting with `BENCH `. */
export function benchJson<T>(stdout: string): T {
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`no BENCH line in the output:\n${stdout.slice(-500)}`);
  return JSON.parse(line.slice('BENCH '.length)) as T;
}

/** CPU of a process and of the children it has reaped (utime + stime + cutime + cstime), in ms. */
export function treeCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 of proc(5), counted from the state (field 3) here; clock ticks of 10 ms (USER_HZ 100 on Linux).
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) * 10;
}

/** Runs `run` and adds what the sshd listener `pid` used meanwhile (after its connections have ended and been reaped). */
export async function withServerCpu(pid: number, run: () => Promise<Sample>): Promise<Sample> {
  const before = treeCpuMs(pid);
  const sample = await run();
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { ...sample, serverCpuMs: treeCpuMs(pid) - before };
}
