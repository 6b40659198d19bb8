import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Testbed } from '../hosts/testbed.ts';
import { TcpProxy } from './tcp-proxy.ts';

export interface ExtraSshd {
  port: number;
  /** The daemon's pid (for nsenter into a namespace it was started in). */
  pid: number;
  /** Stops this sshd and every connection it serves (by its own pid and process group). */
  stop(): void;
}

/**
 * One more real sshd for a test that needs a server set up differently (a lower MaxSessions, several listen
 * addresses): the test bed's `direct` host config with `-o` overrides, on a free port, stopped by pid.
 */
export async function startSshd(
  tb: Testbed,
  options: {
    settings?: Record<string, string>;
    addresses?: string[];
    /** A command sshd runs under, which must end by exec'ing its arguments (e.g. `unshare --mount ... sh -c '...; exec "$@"' sh`). */
    wrap?: string[];
    /**
     * Lines replacing those of the same keyword in the config (`MaxStartups 10:30:100`): for keywords where the
     * file's value wins over `-o` (sshd takes the last MaxStartups it reads, and reads `-o` first).
     */
    configLines?: string[];
    /** Keywords whose lines are removed from the config (`Subsystem`: a server without SFTP). */
    drop?: string[];
  } = {},
): Promise<ExtraSshd> {
  const port = await TcpProxy.freePort();
  let config = path.join(tb.dir, 'hosts', 'direct', 'sshd_config');
  if (options.configLines?.length || options.drop?.length) {
    const configLines = options.configLines ?? [];
    const keywords = new Set([...configLines, ...(options.drop ?? [])].map((line) => line.split(/\s+/)[0]!.toLowerCase()));
    const kept = fs.readFileSync(config, 'utf8').split('\n').filter((line) => !keywords.has(line.split(/\s+/)[0]!.toLowerCase()));
    config = path.join(tb.dir, 'hosts', 'direct', `sshd_config.extra-${port}`);
    fs.writeFileSync(config, [...kept, ...configLines, ''].join('\n'), { mode: 0o600 });
  }
  const args = ['-D', '-f', config, '-p', String(port), '-E', path.join(tb.dir, 'logs', `extra-${port}.log`)];
  for (const address of options.addresses ?? ['127.0.0.1']) args.push('-o', `ListenAddress=${address}`);
  for (const [key, value] of Object.entries(options.settings ?? {})) args.push('-o', `${key}=${value}`);
  const [command, ...wrapArgs] = [...(options.wrap ?? []), '/usr/sbin/sshd'];
  const daemon = await startDaemon(command!, [...wrapArgs, ...args], {
    host: options.addresses?.[0] ?? '127.0.0.1',
    port,
    stdio: 'ignore',
    failure: () => `extra sshd on port ${port} did not come up (see ${tb.dir}/logs/extra-${port}.log)`,
  });
  return { port, ...daemon };
}

/**
 * Starts a test SSH server detached and waits (10 s at most) until it sends its banner on host:port. `stop`
 * signals its connections' processes by ancestry (sshd and Dropbear put each in a session of its own, which a
 * group kill misses) through pkill -P, then the daemon.
 */
export async function startDaemon(
  command: string,
  args: string[],
  options: { host: string; port: number; stdio: 'ignore' | ['ignore', number, number]; failure: () => string },
): Promise<{ pid: number; stop: () => void }> {
  const child = spawn(command, args, { detached: true, stdio: options.stdio });
  child.unref();
  const stop = () => {
    try {
      spawn('pkill', ['-TERM', '-P', String(child.pid)], { stdio: 'ignore' });
      process.kill(child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
  };
  const deadline = Date.now() + 10000;
  for (;;) {
    if (await answers(options.host, options.port)) return { pid: child.pid!, stop };
    if (Date.now() > deadline || child.exitCode !== null) {
      stop();
      throw new Error(options.failure());
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('data', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
