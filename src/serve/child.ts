import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { ApiError } from './problem.ts';
import type { RunRequest, TaskList } from './schemas.ts';

/** How to start `fab` of this very installation, with the flags `fab serve` was given that shape every run. */
export interface FabCommand {
  node: string;
  /** Node flags (a dev run under tsx) and the fab script. */
  script: string[];
  /** -f, -c, -F, -i ... as given to `fab serve`. */
  base: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Task arguments in Fabric syntax: `,` `=` `:` `;` and `\` escaped, so a value cannot become another argument. */
function escapeArg(text: string): string {
  return text.replace(/[\\,=:;]/g, '\\$&');
}

export function taskWord(task: RunRequest['tasks'][number]): string {
  const args = task.args ?? {};
  const words = [...(args._ ?? []).map(escapeArg), ...Object.entries(args).filter(([key]) => key !== '_').map(([key, value]) => `${escapeArg(key)}=${escapeArg(String(value))}`)];
  return words.length ? `${task.name}:${words.join(',')}` : task.name;
}

/** The argv of one run's child: `--events -` on stdout, logs into the run's folder, no prompts (a served run has no one to ask). */
export function runArgv(command: FabCommand, request: RunRequest, logDir: string): string[] {
  const argv = [...command.script, ...command.base, '--events', '-', '--log-dir', logDir, '--abort-on-prompts'];
  if (request.hosts?.length) argv.push('-H', request.hosts.join(','));
  if (request.roles?.length) argv.push('-R', request.roles.join(','));
  if (request.exclude?.length) argv.push('-x', request.exclude.join(','));
  if (request.parallel) argv.push('-P');
  if (request.poolSize) argv.push('-z', String(request.poolSize));
  for (const [key, value] of Object.entries(request.set ?? {})) argv.push('--set', `${key}=${String(value).replace(/[\\,=]/g, '\\$&')}`);
  // `--` would make the rest an ad hoc command: task words never start with '-' (the schema's name pattern).
  return [...argv, ...request.tasks.map(taskWord)];
}

/**
 * Starts a run's child in its own process group (a Ctrl-C at the server's terminal is the server's to handle),
 * stdin a pipe the child watches (FABTS_SERVE_CHILD): when the server dies, the child ends its run.
 */
export function startChild(command: FabCommand, argv: string[]): ChildProcess {
  return spawn(command.node, argv, {
    cwd: command.cwd,
    env: { ...command.env, FABTS_SERVE_CHILD: '1', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
}

/** Splits a byte stream into lines, keeping the unfinished end for the next chunk. */
export function lineSplitter(onLines: (lines: string[]) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const text = rest + chunk.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    if (lines.length) onLines(lines);
  };
}

/**
 * The fabfile's tasks, from `fab -l --json` in a child (the fabfile's top-level code runs there, not in the server),
 * read again when the fabfile changes on disk.
 */
export class TaskCatalog {
  private cached: { mtimeMs: number; list: Promise<TaskList> } | undefined;

  constructor(private readonly command: FabCommand, private readonly fabfile: string) {}

  get(): Promise<TaskList> {
    const mtimeMs = statSync(this.fabfile, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (!this.cached || this.cached.mtimeMs !== mtimeMs) {
      const list = this.load();
      this.cached = { mtimeMs, list };
      list.catch(() => (this.cached = undefined));
    }
    return this.cached.list;
  }

  private load(): Promise<TaskList> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.command.node, [...this.command.script, ...this.command.base, '-l', '--json'], {
        cwd: this.command.cwd,
        env: { ...this.command.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) {
          try {
            resolve(JSON.parse(out) as TaskList);
            return;
          } catch {
            /* falls through to the error */
          }
        }
        const line = err.split('\n').find((text) => text.startsWith('fab: error')) ?? 'fab -l failed';
        reject(new ApiError(500, `the fabfile could not be listed: ${line.replace(/^fab: error: /, '')}`, { code: 'LOAD_FAILED' }));
      });
    });
  }
}
