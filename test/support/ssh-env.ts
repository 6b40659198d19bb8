// Helpers for the ssh_config, authentication and host key tests: a fresh HOME, client configs naming the test bed
// hosts, marks in the hosts' sshd logs, a real ssh-agent, and small TCP servers that stand in for extra hosts.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { envStore } from '../../src/env/env.ts';
import { events, type FabEvent } from '../../src/report/events.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import type { Testbed, TestbedHostName } from '../hosts/testbed.ts';
import { useTestbed } from './remote.ts';
import { TcpProxy, silentListener } from './tcp-proxy.ts';

const cleanups: (() => void | Promise<void>)[] = [];
// Registered when a test file imports this module, so the hook belongs to the whole file, not to a suite.
after(async () => {
  await closeAll();
  for (const fn of cleanups.reverse()) await fn();
});
function onCleanup(fn: () => void | Promise<void>): void {
  cleanups.push(fn);
}

/** A fresh, empty HOME (with ~/.ssh, mode 0700) for this test file's process; the old one is restored afterwards. */
export function freshHome(): string {
  const previous = process.env.HOME;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-home-'));
  fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  process.env.HOME = home;
  onCleanup(() => {
    process.env.HOME = previous;
    fs.rmSync(home, { recursive: true, force: true });
  });
  return home;
}

/** Writes a file below HOME (directories made as needed) and returns its path. */
export function homeFile(relative: string, text: string, mode = 0o600): string {
  const file = path.join(os.homedir(), relative);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  return file;
}

/** A `Host` block reaching a test bed host (web1/web2 through the bastion), with extra option lines. */
export function hostBlock(tb: Testbed, alias: string, name: TestbedHostName, lines: string[] = []): string {
  const host = tb.hosts[name];
  return [`Host ${alias}`, `  HostName ${host.hostname}`, `  Port ${host.port}`, ...(host.via ? [`  ProxyJump ${host.via}`] : []), ...lines.map((l) => `  ${l}`), ''].join('\n');
}

/** Blocks for the four test bed hosts under their own names. */
export function testbedHosts(tb: Testbed, lines: string[] = []): string {
  return (['direct', 'bastion', 'web1', 'web2'] as const).map((name) => hostBlock(tb, name, name, lines)).join('\n');
}

/** The test bed's known_hosts copied to ~/.ssh/known_hosts, so accept-new never writes into the shared one. */
export function copyKnownHosts(tb: Testbed, relative = '.ssh/known_hosts'): string {
  return homeFile(relative, fs.readFileSync(tb.knownHostsPath, 'utf8'), 0o644);
}

/**
 * Sets env as `fab` with these settings would, with no `-F` (so ~/.ssh/config is read unless settings name one)
 * and no agent unless asked for; closes the pooled connections of earlier tests first.
 */
export async function useSettings(settings: Record<string, unknown> = {}): Promise<Testbed> {
  await closeAll();
  const tb = useTestbed(settings);
  if (!Object.hasOwn(settings, 'sshConfigPath')) envStore.delete('sshConfigPath', 'cli');
  return tb;
}

/** Events emitted while fn runs. */
export async function recording<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; events: FabEvent[] }> {
  const list: FabEvent[] = [];
  const stop = events.subscribe((event) => list.push(event));
  try {
    return { value: await fn(), events: list };
  } catch (error) {
    return { error, events: list };
  } finally {
    stop();
  }
}

/** Everything an sshd logs from now on (its LogLevel is VERBOSE: accepted and failed keys, auth methods). */
export function sshdLog(tb: Testbed, name: TestbedHostName): { text: () => string; count: (pattern: RegExp) => number } {
  const file = tb.hosts[name].logPath;
  const start = fs.statSync(file).size;
  const text = () => {
    const all = fs.readFileSync(file);
    return all.subarray(start).toString('utf8');
  };
  return { text, count: (pattern) => text().split('\n').filter((line) => pattern.test(line)).length };
}

/** text as a regular expression source matching it literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A new ed25519 key pair (not authorized anywhere unless you make it so); returns the private key's path. */
export function makeKey(file: string, passphrase = ''): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'fabts-other-key', '-f', file]);
  return file;
}

/** `SHA256:...` of a key file, as sshd logs it. */
export function keyFingerprint(file: string): string {
  return execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' }).split(' ')[1]!;
}

export interface Agent {
  socket: string;
  pid: number;
}

/** A real ssh-agent on its own socket holding the given keys; stopped (by its pid) after the file. */
export async function startAgent(keys: string[]): Promise<Agent> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-agent-'));
  const socket = path.join(dir, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', socket], { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid!;
  onCleanup(() => {
    try {
      process.kill(pid);
    } catch {
      /* gone already */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 200 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  for (const key of keys) execFileSync('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
  return { socket, pid };
}

/** Sets process.env.SSH_AUTH_SOCK (or removes it) until the end of the file. */
export function setAuthSock(socket: string | undefined): void {
  const previous = process.env.SSH_AUTH_SOCK;
  if (socket === undefined) delete process.env.SSH_AUTH_SOCK;
  else process.env.SSH_AUTH_SOCK = socket;
  onCleanup(() => {
    if (previous === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = previous;
  });
}

export interface Forwarder {
  port: number;
  /** Stops passing bytes either way (a dead link, as far as either end can tell). */
  freeze(): void;
}

/** A TCP forwarder on a new loopback port to 127.0.0.1:targetPort: another "host" for the same sshd. */
export async function forwarder(targetPort: number): Promise<Forwarder> {
  const proxy = await new TcpProxy(await TcpProxy.freePort(), { host: '127.0.0.1', port: targetPort }).listen();
  onCleanup(() => proxy.close());
  return { port: proxy.port, freeze: () => proxy.freeze() };
}

/** A TCP server that accepts connections and never says a word (no SSH banner): what a hung host looks like. */
export async function silentServer(): Promise<number> {
  const listener = await silentListener();
  onCleanup(() => listener.close());
  return listener.port;
}
