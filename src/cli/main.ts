import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { env, envStore } from '../env/env.ts';
import { ExitCode, FabError, UsageError, describeError } from '../errors.ts';
import { parseTaskInvocation, type TaskInvocation } from '../fabfile/args.ts';
import { discoverFabfile } from '../fabfile/discover.ts';
import { loadFabfile } from '../fabfile/load.ts';
import { TaskRegistry, type RegisteredTask } from '../fabfile/registry.ts';
import { task } from '../fabfile/tasks.ts';
import { loadConfigLayers } from '../config/layers.ts';
import { DEFAULTS, parseSetOption, validateSettings } from '../config/schema.ts';
import { expandLevels } from '../env/scopes.ts';
import type { RunPlanItem } from '../exec/runner.ts';
import { setExecuteRegistry } from '../exec/execute.ts';
import { expandFailed, mentionsFailed } from '../exec/last-run.ts';
import { run } from '../ops/command/run.ts';
import { writeBareDocument } from '../report/json.ts';
import { events } from '../report/events.ts';
import { EventsWriter } from '../report/events-writer.ts';
import { setRunLevels } from '../report/levels.ts';
import { runSession } from './session.ts';
import { parseCli, setVersion, type CliOptions } from './options.ts';
import { findTask, formatTaskDetails, formatTaskList, taskListDocument } from './list.ts';
import { writeStarterFabfile } from './init.ts';
import { writeEditorTypes } from './editor-types.ts';
import { completionScript } from './completion.ts';
import { shellPlan } from './shell.ts';
import { askUpFront, useTerminal } from './terminal-setup.ts';
import { lockCommand } from './lock.ts';
import type { TerminalInput } from '../ops/interactive/terminal.ts';

export interface Io {
  stdout: Writable;
  stderr: Writable;
  cwd: string;
  home?: string;
  /** Aborted by the first Ctrl-C: running commands are ended and the summary so far printed. */
  signal?: AbortSignal;
  /** Where answers to prompts and an interactive shell's keys come from; absent: no one can answer. */
  stdin?: TerminalInput;
}

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
setVersion(packageJson.version);

/** Command-line flags as env values: the 'cli' layer, above the fabfile's own assignments. */
function flagsToEnv(options: CliOptions): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0)) values[key] = value;
  };
  put('hosts', options.hosts);
  put('roles', options.roles);
  put('excludeHosts', options.excludeHosts);
  put('user', options.user);
  put('port', options.port);
  put('keyFilename', options.identity);
  put('gateway', options.gateway);
  put('forwardAgent', options.forwardAgent);
  put('noAgent', options.noAgent);
  put('noKeys', options.noKeys);
  put('sshConfigPath', options.sshConfig);
  if (options.rejectUnknownHosts) values.hostKeyPolicy = 'strict';
  if (options.disableKnownHosts) values.hostKeyPolicy = 'off';
  put('timeout', options.timeout);
  put('connectionAttempts', options.connectionAttempts);
  put('keepalive', options.keepalive);
  put('parallel', options.parallel);
  put('poolSize', options.poolSize);
  put('warnOnly', options.warnOnly);
  put('commandTimeout', options.commandTimeout);
  put('skipBadHosts', options.skipBadHosts);
  put('abortOnPrompts', options.abortOnPrompts);
  put('dryRun', options.dryRun);
  put('logDir', options.logDir);
  for (const text of options.set) Object.assign(values, parseSetOption(text));
  return validateSettings(values, 'the command line');
}

/** The tasks to run, in order; unknown ones are usage errors (or warnings with --skip-unknown-tasks). */
function planTasks(options: CliOptions, registry: TaskRegistry, io: Io, projectDir: string): RunPlanItem[] {
  const items: RunPlanItem[] = [];
  for (const text of options.tasks) {
    const invocation = parseTaskInvocation(text);
    if (invocation.hosts) invocation.hosts = expandFailed(invocation.hosts, projectDir);
    try {
      items.push({ task: findTask(registry, invocation.name), invocation });
    } catch (error) {
      if (!options.skipUnknownTasks) throw error;
      io.stderr.write(`fab: warning: ${describeError(error)}; skipped (--skip-unknown-tasks)\n`);
    }
  }
  if (options.adHoc !== undefined) {
    const command = options.adHoc;
    const adHoc: RegisteredTask = { name: '<ad hoc>', options: {}, description: command, params: undefined, fn: task(() => run(command)) };
    items.push({ task: adHoc, invocation: { name: adHoc.name, args: { _: [] } } satisfies TaskInvocation });
  }
  return items;
}

/** `fab lock` reads the fabfile when there is one (its roles, env.lockDir), and needs none with -H. */
function hasFabfile(io: Io, options: CliOptions): boolean {
  try {
    discoverFabfile(io.cwd, options.fabfile);
    return true;
  } catch {
    return false;
  }
}

/** The fabfile's directory, or the working directory for an ad hoc command with no fabfile: where .fab/ lives. */
function projectDirFor(fabfilePath: string, io: Io, options: CliOptions): string {
  if (fabfilePath) return dirname(fabfilePath);
  try {
    return dirname(discoverFabfile(io.cwd, options.fabfile));
  } catch {
    return io.cwd;
  }
}

/** The whole `fab` run. Returns the exit status; errors a user can cause come back as FabErrors. */
export async function main(argv: string[], io: Io): Promise<number> {
  const options = await parseCli(argv, (text) => io.stdout.write(text));
  if (!options) return ExitCode.ok;
  if (options.events === '-' && options.json) throw new UsageError('--json and --events - both want stdout; write the events to a file (--events FILE)');
  const writer = options.events === undefined ? undefined : options.events === '-' ? EventsWriter.toStream(io.stdout) : EventsWriter.toFile(options.events);
  const detach = writer?.attach(events);
  try {
    return await runCommand(options, io, writer);
  } catch (error) {
    const exitCode = error instanceof FabError ? error.exitCode : ExitCode.taskFailed;
    // --json promises one document on stdout, also when the run cannot start; --events a run-end line.
    if (options.json) writeBareDocument(io.stdout, exitCode, error);
    writer?.fail(exitCode, error);
    throw error;
  } finally {
    detach?.();
    writer?.close();
  }
}

/** The settings a run-start event shows (secrets among them are redacted by the writer). */
const META_KEYS = ['user', 'port', 'gateway', 'parallel', 'poolSize', 'warnOnly', 'dryRun', 'commandTimeout', 'skipBadHosts', 'hostKeyPolicy', 'abortOnPrompts', 'password', 'sudoPassword'];

async function runCommand(options: CliOptions, io: Io, writer?: EventsWriter): Promise<number> {

  if (options.command === 'init') {
    const path = writeStarterFabfile(io.cwd, options.force);
    io.stdout.write(`Wrote ${path}. Try: fab -l\n${writeEditorTypes(io.cwd)}\n`);
    return ExitCode.ok;
  }
  if (options.command === 'types') {
    io.stdout.write(`${writeEditorTypes(io.cwd)}\n`);
    return ExitCode.ok;
  }
  if (options.command === 'completion') {
    io.stdout.write(completionScript());
    return ExitCode.ok;
  }

  envStore.reset();
  useTerminal(io);
  envStore.setLayer('defaults', { ...DEFAULTS, hosts: [], roles: [], roledefs: {}, excludeHosts: [] }, 'defaults');
  for (const layer of await loadConfigLayers({ cwd: io.cwd, home: io.home ?? homedir(), ...(options.config ? { configFile: options.config } : {}) })) {
    if (layer.name !== 'defaults') envStore.setLayer(layer.name, layer.values, layer.source);
  }
  envStore.setLayer('cli', flagsToEnv(options), 'command line');
  setRunLevels(expandLevels(options.hide), expandLevels(options.show));

  // Loaded only here: the HTTP server and SQLite cost nothing to every other fab command.
  if (options.command === 'serve') return (await import('../serve/command.ts')).serveCommand(options, io, envStore.get('serve'));

  const shell = options.command === 'shell' ? shellPlan(options.shellCommand) : undefined;
  const lock = options.command === 'lock';
  const needsFabfile = options.list || options.display !== undefined || options.tasks.length > 0 || (options.adHoc === undefined && !shell && !lock);
  let registry = new TaskRegistry();
  let fabfilePath = '';
  if (needsFabfile || (lock && hasFabfile(io, options))) {
    fabfilePath = discoverFabfile(io.cwd, options.fabfile);
    registry = (await loadFabfile(fabfilePath)).registry;
  }
  if (lock) return lockCommand(options, registry, io);
  if (options.list) {
    io.stdout.write(options.json ? `${JSON.stringify(taskListDocument(registry, fabfilePath, env as never), null, 2)}\n` : formatTaskList(registry, fabfilePath));
    return ExitCode.ok;
  }
  if (options.display !== undefined) {
    io.stdout.write(formatTaskDetails(registry, options.display));
    return ExitCode.ok;
  }
  if (options.tasks.length === 0 && options.adHoc === undefined && !shell) {
    if (registry.defaultTask === undefined) {
      throw new UsageError(`no task given; name one (fab TASK), or mark one with task({ default: true }, ...). Tasks: ${registry.names().join(', ') || 'none'}`);
    }
    options.tasks.push(registry.defaultTask);
  }

  const projectDir = projectDirFor(fabfilePath, io, options);
  if (mentionsFailed(options.hosts)) {
    options.hosts = expandFailed(options.hosts, projectDir);
    envStore.set('hosts', options.hosts, 'cli');
    if (options.hosts.length === 0) {
      io.stderr.write(`fab: no host failed in the last run from ${projectDir}; nothing to do (-H @failed)\n`);
      if (options.json) writeBareDocument(io.stdout, ExitCode.ok);
      return ExitCode.ok;
    }
  }
  setExecuteRegistry(registry);
  const items = shell ? [shell.item] : planTasks(options, registry, io, projectDir);
  const cli = { hosts: options.hosts, roles: options.roles, excludeHosts: options.excludeHosts };
  await askUpFront(options);
  writer?.setMeta({ fabfile: fabfilePath || undefined, ...cli, options: Object.fromEntries(META_KEYS.map((key) => [key, envStore.get(key)])) });
  const exitCode = await runSession({ items, cli, projectDir, json: options.json, eventsOnStdout: options.events === '-', linewise: options.linewise, noColor: options.noColor, flags: options.rollout }, io);
  return shell ? shell.exitCode(exitCode) : exitCode;
}

export function formatFatal(error: unknown, debug: boolean): string {
  const where = error instanceof FabError && error.host && !describeError(error).includes(error.host) ? ` [${error.host}]` : '';
  const text = `fab: error${where}: ${describeError(error)}\n`;
  if (!debug) return text;
  return `${text}${error instanceof Error ? (error.stack ?? '') : ''}\n`;
}
