// Plain Node scripts using fabts as a library: run from a directory where `fabts` resolves to this tree (as a user's
// install would), with a HOME whose ~/.ssh/config names the test bed hosts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Testbed } from '../hosts/testbed.ts';
import { makeProject } from './fab.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The JSON lines the script printed, merged. */
  report: Record<string, unknown>;
}

/** A directory where `fabts` resolves to this tree, and a HOME whose ~/.ssh/config names the test bed hosts. */
export function libraryProject(tb: Testbed, files: Record<string, string>): string {
  const dir = makeProject(files, 'fabts-lib-');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'fabts'));
  fs.mkdirSync(path.join(dir, 'home', '.ssh'), { recursive: true, mode: 0o700 });
  fs.copyFileSync(tb.sshConfigPath, path.join(dir, 'home', '.ssh', 'config'));
  return dir;
}

/**
 * Runs `node file` in dir. A line `{"checkpoint":"name"}` pauses the script: onCheckpoint looks at the hosts
 * (the script still holds its connections), then the script goes on.
 */
export function runScript(tb: Testbed, dir: string, file: string, onCheckpoint: (name: string) => Promise<void> | void = () => {}): Promise<ScriptRun> {
  const child = spawn(process.execPath, [file], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: path.join(dir, 'home'), LANG: 'C.UTF-8', REMOTE_DIR: tb.remoteDir, SUDO_PASSWORD: tb.password },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let stdout = '';
  let stderr = '';
  const report: Record<string, unknown> = {};
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  const read = (async () => {
    for await (const line of lines) {
      stdout += `${line}\n`;
      if (!line.startsWith('{')) continue;
      const value = JSON.parse(line) as Record<string, unknown>;
      if (typeof value.checkpoint === 'string') {
        await onCheckpoint(value.checkpoint);
        child.stdin.write('\n');
      } else Object.assign(report, value);
    }
  })();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      void read.then(() => resolve({ code, stdout, stderr, report }), reject);
    });
  });
}

