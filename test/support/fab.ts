import { spawn, type ChildProcessByStdio, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The built `fab` command: end-to-end tests run exactly what a user runs. */
export const FAB_BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

export interface FabRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output until it closes; SIGKILLs it after timeoutMs. */
export function collectRun(child: ChildProcessWithoutNullStreams | ChildProcessByStdio<null, Readable, Readable>, timeoutMs = 60_000): Promise<FabRun> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `fab args...` in cwd with a clean HOME (so no real ~/.fabrc or ~/.ssh leaks in); `onSpawn` gets the child (to signal it). */
export function fab(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string; timeoutMs?: number; onSpawn?: (child: ChildProcessWithoutNullStreams) => void },
): Promise<FabRun> {
  const child = spawn(process.execPath, [FAB_BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.env?.HOME ?? options.cwd, LANG: 'C.UTF-8', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const run = collectRun(child, options.timeoutMs);
  child.stdin.end(options.input ?? '');
  options.onSpawn?.(child);
  return run;
}

/** A fresh project directory with the given files (paths relative to it). */
export function makeProject(files: Record<string, string>, prefix = 'fabts-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
