import { dirname } from 'node:path';
import type { CliOptions } from '../cli/options.ts';
import type { Io } from '../cli/io.ts';
import { ExitCode, describeError } from '../errors.ts';
import { makeStateDir } from '../exec/last-run.ts';
import { discoverFabfile } from '../fabfile/discover.ts';
import { Auth, loadTokens } from './auth.ts';
import { TaskCatalog, type FabCommand } from './child.ts';
import { serveSettings } from './options.ts';
import { RunManager } from './runs.ts';
import { pagePlugin } from './page/plugin.ts';
import { buildServer } from './server.ts';
import { Store } from './store.ts';

/** The flags of `fab serve` that every run's `fab` gets too (connection, config, fabfile). */
function baseArgs(options: CliOptions, fabfile: string): string[] {
  const valued = { '-c': options.config, '-F': options.sshConfig, '-u': options.user, '--port': options.port, '-g': options.gateway, '-t': options.timeout, '-n': options.connectionAttempts, '--keepalive': options.keepalive, '-T': options.commandTimeout };
  const switches = { '-a': options.noAgent, '-k': options.noKeys, '-A': options.forwardAgent, '-r': options.rejectUnknownHosts, '-D': options.disableKnownHosts, '-w': options.warnOnly, '--skip-bad-hosts': options.skipBadHosts };
  return [
    '-f',
    fabfile,
    ...Object.entries(valued).flatMap(([flag, value]) => (value === undefined ? [] : [flag, String(value)])),
    ...options.identity.flatMap((identity) => ['-i', identity]),
    ...options.set.flatMap((set) => ['--set', set]),
    ...Object.entries(switches).flatMap(([flag, on]) => (on ? [flag] : [])),
  ];
}

/** `fab serve`: runs until SIGTERM/SIGINT (drain: no new runs, running ones finish or are cancelled), then exits 0. */
export async function serveCommand(options: CliOptions, io: Io, config: unknown): Promise<number> {
  const fabfile = discoverFabfile(io.cwd, options.fabfile);
  const projectDir = dirname(fabfile);
  const settings = serveSettings(options.serve, config, projectDir, io.cwd);
  if (settings.data.startsWith(`${projectDir}/.fab/`)) makeStateDir(projectDir);
  let tokens: ReturnType<typeof loadTokens> | undefined;
  if (settings.tokenFile) {
    tokens = loadTokens(settings.tokenFile);
    if (tokens.created) io.stderr.write(`fab serve: created ${settings.tokenFile} (0600) with these tokens; they are not shown again:\n${tokens.created}`);
  }
  const command: FabCommand = {
    node: process.execPath,
    script: [...process.execArgv, process.argv[1]!],
    base: baseArgs(options, fabfile),
    cwd: io.cwd,
    env: process.env,
  };
  const store = new Store(settings.data);
  const runs = new RunManager({
    store,
    command,
    catalog: new TaskCatalog(command, fabfile),
    dataDir: settings.data,
    maxRuns: settings.maxRuns,
    maxQueue: settings.maxQueue,
    keepRuns: settings.keepRuns,
    keepDays: settings.keepDays,
  });
  const lost = runs.recover();
  const auth = new Auth(tokens?.tokens);
  const hostNames = Array.isArray((config as { hostNames?: unknown } | undefined)?.hostNames) ? (config as { hostNames: unknown[] }).hostNames.map(String) : [];
  const app = await buildServer({ settings, runs, auth, hostNames, plugins: [pagePlugin] });
  await app.listen({ host: settings.host, port: settings.port });
  const bound = app.server.address() as { address: string; port: number };
  const address = `${settings.tlsCert ? 'https' : 'http'}://${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`;
  // The task list is read once now (a child fab -l --json), so the first POST does not wait for it.
  runs.catalog.get().catch((error: unknown) => io.stderr.write(`fab serve: warning: ${describeError(error)}\n`));
  io.stderr.write(`fab serve: ${fabfile} on ${address}${lost ? ` (${lost} runs of the last server marked lost)` : ''}; data in ${settings.data}\n`);

  // bin.ts turns the first SIGTERM/SIGINT into io.signal (a second one exits at once).
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) resolve();
    io.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stderr.write(`fab serve: ${String(io.signal?.reason ?? 'stopping')}: draining (no new runs; running ones get ${settings.drainTimeoutS} s to finish)\n`);
  await runs.drain(settings.drainTimeoutS * 1000);
  await app.close();
  store.close();
  io.stderr.write('fab serve: stopped\n');
  return ExitCode.ok;
}
