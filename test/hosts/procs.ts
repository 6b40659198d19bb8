// Process bookkeeping for the test bed, read straight from /proc: who is alive, who descends from whom.
// Processes are only ever found by ancestry from pids the test bed started itself, never by name.
import fs from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
  startTime: number;
}

/** Parses /proc/PID/stat; undefined when the process is gone. */
export function readProc(pid: number): ProcInfo | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: it ends at the last ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    startTime: Number(rest[19]),
  };
}

/** Alive means present and not a zombie; with startTime given, also the very process that was recorded. */
export function isAlive(pid: number, startTime?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  const info = readProc(pid);
  if (!info || info.state === 'Z' || info.state === 'X') return false;
  return startTime === undefined || info.startTime === startTime;
}

export function startTimeOf(pid: number): number {
  const info = readProc(pid);
  if (!info) throw new Error(`process ${pid} is gone`);
  return info.startTime;
}

/** A snapshot of all processes (alive, zombies excluded), for walking trees. */
export function snapshot(): Map<number, ProcInfo> {
  const all = new Map<number, ProcInfo>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProc(Number(name));
    if (info && info.state !== 'Z' && info.state !== 'X') all.set(info.pid, info);
  }
  return all;
}

/** Every live descendant of `root` (not root itself), parents before children. */
export function descendants(root: number, procs: Map<number, ProcInfo> = snapshot()): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs.values()) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const out: ProcInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocking sleep: teardown must also work from a process 'exit' handler, where nothing async runs. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: already gone.
  }
}

export interface Victim {
  pid: number;
  startTime?: number;
  /** Also signal the process group it leads (daemons are started with setsid). */
  group?: boolean;
}

/**
 * SIGTERM every victim (and the group it leads), wait up to `graceMs`, then SIGKILL what is left.
 * Returns the pids that still would not die (normally none).
 */
export function killAll(victims: Victim[], graceMs = 2000): number[] {
  const live = () => victims.filter((v) => isAlive(v.pid, v.startTime));
  for (const v of live()) {
    if (v.group) signal(-v.pid, 'SIGTERM');
    signal(v.pid, 'SIGTERM');
  }
  const deadline = Date.now() + graceMs;
  while (live().length > 0 && Date.now() < deadline) sleepSync(20);
  for (const v of live()) {
    if (v.group) signal(-v.pid, 'SIGKILL');
    signal(v.pid, 'SIGKILL');
  }
  const hard = Date.now() + 2000;
  while (live().length > 0 && Date.now() < hard) sleepSync(20);
  return live().map((v) => v.pid);
}
