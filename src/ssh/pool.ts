import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, PseudoTtyOptions, SFTPWrapper } from 'ssh2';
import { env } from '../env/env.ts';
import { FabError } from '../errors.ts';
import { events } from '../report/events.ts';
import { Semaphore } from '../util/semaphore.ts';
import { connectError, openClient } from './connect.ts';
import { passwordFor } from './credentials.ts';
import { resolveTarget, type ConnectTarget } from './target.ts';

/** OpenSSH's MaxSessions default: channels past it on one connection are refused, so they queue here. */
export const MAX_SESSIONS_PER_CONNECTION = 10;

/** One authenticated SSH connection, shared by every operation and task on its host for the whole run. */
export class PooledConnection {
  alive = true;
  private readonly sessions = new Semaphore(MAX_SESSIONS_PER_CONNECTION);
  private sftpSession: Promise<SFTPWrapper> | undefined;

  constructor(
    readonly target: ConnectTarget,
    readonly client: Client,
  ) {}

  /** Opens a session channel (exec/shell/subsystem) once a slot is free; the slot frees when it closes. */
  private async session<T extends ClientChannel | SFTPWrapper>(open: (done: (error: Error | undefined, channel: T) => void) => void): Promise<T> {
    const release = await this.sessions.acquire();
    try {
      const channel = await new Promise<T>((resolve, reject) => open((error, channel) => (error ? reject(error) : resolve(channel))));
      channel.once('close', release);
      return channel;
    } catch (error) {
      release();
      throw this.channelError(error);
    }
  }

  private channelError(error: unknown): FabError {
    if (!this.alive) return connectError(this.target, new Error('the connection closed'));
    return new FabError('CONNECT_FAILED', `${this.target.label}: could not open a channel: ${(error as Error).message}`, { host: this.target.label, cause: error });
  }

  exec(command: string, options: { pty?: PseudoTtyOptions | boolean; env?: Record<string, string> } = {}): Promise<ClientChannel> {
    return this.session<ClientChannel>((done) => this.client.exec(command, { ...(options.pty ? { pty: options.pty } : {}) }, done));
  }

  shell(pty: PseudoTtyOptions | false): Promise<ClientChannel> {
    return this.session<ClientChannel>((done) => this.client.shell(pty, done));
  }

  /** One SFTP session per connection, opened on first use. */
  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= this.session<SFTPWrapper>((done) => this.client.sftp(done)).then((sftp) => {
      sftp.once('close', () => (this.sftpSession = undefined));
      return sftp;
    });
    this.sftpSession.catch(() => (this.sftpSession = undefined));
    return this.sftpSession;
  }

  /** A direct-tcpip channel to host:port as seen from this host (how gateways carry the next hop). */
  forwardOut(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) =>
      this.client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => (error ? reject(error) : resolve(channel as unknown as Duplex))),
    );
  }

  close(): void {
    this.alive = false;
    this.client.end();
  }
}

const connections = new Map<string, Promise<PooledConnection>>();
const targets = new Map<string, Promise<ConnectTarget>>();
/** OpenSSH's MaxStartups drops unauthenticated connections past 10 by default: handshakes queue here. */
const handshakes = new Semaphore(10);

async function open(target: ConnectTarget): Promise<PooledConnection> {
  const attempts = Math.max(1, target.connectionAttempts);
  for (let attempt = 1; ; attempt++) {
    try {
      return await openOnce(target);
    } catch (error) {
      const retryable = error instanceof FabError && error.code === 'CONNECT_FAILED';
      if (!retryable || attempt >= attempts) throw error;
      events.emit({ kind: 'debug', host: target.label, message: `connection attempt ${attempt} of ${attempts} failed; retrying` });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function openOnce(target: ConnectTarget): Promise<PooledConnection> {
  // The gateway connection comes from this same pool: every target behind it shares one connection.
  let transport: Duplex | undefined;
  if (target.jump) {
    const gateway = await getConnection(target.jump);
    transport = await gateway.forwardOut(target.hostname, target.port).catch((error) => Promise.reject(connectError(target, error)));
  }
  handshakes.setLimit((env.maxStartups as number | undefined) ?? 10);
  const release = await handshakes.acquire();
  events.emit({ kind: 'connect', host: target.label, state: 'connecting', ...(target.jump ? { via: target.jump.label } : {}) });
  let client: Client;
  try {
    client = await openClient(target, transport, passwordFor(target));
  } catch (error) {
    transport?.destroy();
    events.emit({ kind: 'connect', host: target.label, state: 'failed', message: (error as Error).message });
    throw error;
  } finally {
    release();
  }
  const connection = new PooledConnection(target, client);
  events.emit({ kind: 'connect', host: target.label, state: 'connected', ...(target.jump ? { via: target.jump.label } : {}) });
  client.on('error', (error) => events.emit({ kind: 'debug', host: target.label, message: `connection error: ${error.message}` }));
  client.once('close', () => {
    connection.alive = false;
    events.emit({ kind: 'connect', host: target.label, state: 'closed' });
  });
  return connection;
}

/** The pooled connection for a target: opened lazily, reopened when the pooled one has died. */
export async function getConnection(target: ConnectTarget): Promise<PooledConnection> {
  const existing = connections.get(target.key);
  if (existing) {
    const connection = await existing.catch(() => undefined);
    if (!connection) return existing; // a failed open stays failed for the run: same error, no retry storm
    if (connection.alive) return connection;
    if (connections.get(target.key) === existing) connections.delete(target.key);
    return getConnection(target);
  }
  const opening = open(target);
  connections.set(target.key, opening);
  return opening;
}

/** The connection for a host string (`web1`, `deploy@web1:2222`), resolved through env and ssh_config. */
export async function connectionFor(hostText: string): Promise<PooledConnection> {
  let target = targets.get(hostText);
  if (!target) {
    target = resolveTarget(hostText);
    targets.set(hostText, target);
    target.catch(() => targets.delete(hostText));
  }
  return getConnection(await target);
}

/** Drops a host's pooled connection (after a reboot): the next operation opens a new one. */
export async function dropConnection(hostText: string): Promise<void> {
  const target = await targets.get(hostText)?.catch(() => undefined);
  if (!target) return;
  const existing = connections.get(target.key);
  connections.delete(target.key);
  (await existing?.catch(() => undefined))?.close();
}

/** Closes every pooled connection (end of run, interrupt). */
export async function closeAll(): Promise<void> {
  const open = [...connections.values()];
  connections.clear();
  targets.clear();
  await Promise.all(
    open.map(async (pending) => {
      const connection = await pending.catch(() => undefined);
      connection?.close();
    }),
  );
}

export function openConnectionCount(): number {
  return connections.size;
}
