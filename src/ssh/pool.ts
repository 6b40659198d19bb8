import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, PseudoTtyOptions, SFTPWrapper } from 'ssh2';
import { DEFAULTS } from '../config/schema.ts';
import { currentContext, runLocal } from '../env/context.ts';
import { env } from '../env/env.ts';
import { FabError } from '../errors.ts';
import { events } from '../report/events.ts';
import { Semaphore } from '../util/semaphore.ts';
import type * as Connect from './connect.ts';
import { passwordFor } from './credentials.ts';
import { sessionLimitFor } from './server-quirks.ts';
import { openSocket } from './socket.ts';
import type * as Target from './target.ts';
import type { ConnectTarget } from './target.ts';

/**
 * How servers refuse a session channel past their limit: OpenSSH answers SSH_OPEN_CONNECT_FAILED ("open failed")
 * when MaxSessions is reached; others use ADMINISTRATIVELY_PROHIBITED or RESOURCE_SHORTAGE.
 */
const REFUSED_FOR_LIMIT = new Set([1, 2, 4]);

/** How often a channel refused with no other channel open is asked for again before the refusal is final. */
const EMPTY_REFUSAL_RETRIES = 8;

/** How often an exec whose fresh channel the server closed unanswered is tried again. */
const EXEC_RETRIES = 3;

/** What the pool needs from the SFTP session's user to lend its slot to other channels. */
export interface SftpUser {
  /** No request in flight and no file open. */
  idle(): boolean;
  /** The pool is closing this idle channel: the next request must open a new one. */
  retired(channel: SFTPWrapper): void;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The promise, or the signal's reason once it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** How long a closing connection may wait for the server's side of the goodbye. */
const CLOSE_GRACE_MS = 2000;

/** A one-shot signal: a promise and the function that settles it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

/** One authenticated SSH connection, shared by every operation and task on its host for the whole run. */
export class PooledConnection {
  alive = true;
  /** Why the connection was lost (a keepalive timeout, a reset), for the errors of what ran on it. */
  lostReason: string | undefined;
  private readonly sessions: Semaphore;
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private sftpChannel: SFTPWrapper | undefined;
  /** Set once the server said it has no SFTP subsystem. */
  private noSftp: FabError | undefined;
  /** Whoever uses the SFTP channel (sftp/session.ts): says when it may be closed without breaking a request. */
  sftpUser: SftpUser | undefined;
  /** Channel requests waiting for a slot now. */
  private waiters = 0;
  /** Session channels open now, and the most that were ever open at once: the server allows at least that many. */
  private openSessions = 0;
  private peakOpenSessions = 0;
  /** Settles when a session channel closes (or when waiting for one is pointless): refused requests retry then. */
  private sessionChange = signal();

  constructor(
    readonly target: ConnectTarget,
    readonly client: Client,
    maxSessions: number,
  ) {
    this.sessions = new Semaphore(maxSessions);
  }

  /** How many session channels may be open at once right now (lowered when the server refused more). */
  get sessionLimit(): number {
    return this.sessions.limit;
  }

  private notifySessionChange(): void {
    const settled = this.sessionChange;
    this.sessionChange = signal();
    settled.fire();
  }

  /**
   * Opens a session channel (exec/shell/subsystem) once a slot is free; the slot frees when it closes. A server
   * that refuses a channel while others are open or opening has a lower limit than assumed (OpenSSH MaxSessions):
   * the limit drops to what is in use, and the request waits for a channel to close instead of failing. An idle
   * SFTP session gives its slot up to a waiting request (it reopens on its next use). `signal` ends the wait.
   */
  private async session<T extends ClientChannel | SFTPWrapper>(
    open: (done: (error: Error | undefined, channel: T) => void) => void,
    options: { openTimeoutMs?: number; signal?: AbortSignal; what?: string } = {},
  ): Promise<T> {
    let refusals = 0;
    let execRetries = 0;
    for (;;) {
      if (this.sessions.inUse >= this.sessions.limit) this.retireIdleSftp();
      this.waiters++;
      let release: () => void;
      try {
        release = await this.sessions.acquire(options.signal);
      } finally {
        this.waiters--;
      }
      try {
        const channel = await this.openWithin(open, options.openTimeoutMs, options.what);
        this.peakOpenSessions = Math.max(this.peakOpenSessions, ++this.openSessions);
        channel.once('close', () => {
          this.openSessions--;
          release();
          this.notifySessionChange();
        });
        return channel;
      } catch (error) {
        release();
        // A server that closes a fresh channel before answering its exec (Dropbear's bug of server-quirks.ts, on a
        // version whose banner does not say so): the channel was never used, so it is asked for again.
        if (this.alive && (error as Error).message === 'Unable to exec' && ++execRetries <= EXEC_RETRIES) {
          events.emit({ kind: 'debug', host: this.target.label, message: `the server closed a new channel before running its command; asking again (${execRetries} of ${EXEC_RETRIES})` });
          await abortable(delay(20 * execRetries), options.signal);
          continue;
        }
        const refusedForLimit = REFUSED_FOR_LIMIT.has((error as { reason?: unknown }).reason as number);
        const others = this.sessions.inUse;
        // With nothing else open, a refusal is the server still freeing the session that closed a moment ago
        // (OpenSSH frees it only after handling everything that arrived with our CLOSE, this open included):
        // it is asked again a little later, a few times, before the refusal counts.
        if (!this.alive || !refusedForLimit || (others === 0 && ++refusals > EMPTY_REFUSAL_RETRIES)) {
          this.notifySessionChange(); // requests waiting on this one's success would wait forever
          throw this.channelError(error);
        }
        // A refusal right after a close can be the server still freeing that session: never below what it did allow.
        const limit = Math.max(others, this.peakOpenSessions, 1);
        if (limit < this.sessions.limit) {
          this.sessions.setLimit(limit);
          events.emit({ kind: 'debug', host: this.target.label, message: `the server refused a channel with ${others} in use: at most ${limit} at once from now on` });
        }
        this.retireIdleSftp();
        this.waiters++;
        try {
          await abortable(Promise.race([this.sessionChange.promise, delay(others === 0 ? 10 * 2 ** refusals : 250)]), options.signal);
        } finally {
          this.waiters--;
        }
      }
    }
  }

  /** Closes the SFTP channel when nothing uses it, so that a channel request waiting for its slot gets it. */
  private retireIdleSftp(): void {
    const channel = this.sftpChannel;
    if (!channel || !this.sftpUser?.idle()) return;
    this.sftpChannel = undefined;
    this.sftpSession = undefined;
    this.sftpUser.retired(channel);
    channel.end();
  }

  /** The SFTP session's user says it went idle: a channel request waiting for a slot may take the SFTP one. */
  sftpIdle(): void {
    if (this.waiters > 0) this.retireIdleSftp();
  }

  /**
   * Sends one channel open request. A server that does not answer it within openTimeoutMs is not serving this
   * connection any more (a frozen host): the connection is dropped, so the next operation opens a new one.
   */
  private openWithin<T extends ClientChannel | SFTPWrapper>(open: (done: (error: Error | undefined, channel: T) => void) => void, openTimeoutMs?: number, what = 'a channel request'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let late = false;
      const timer =
        openTimeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              late = true;
              const seconds = openTimeoutMs / 1000;
              this.lost(`no answer to ${what} within ${seconds}s`);
              reject(new FabError('TIMEOUT', `${this.target.label}: the host did not answer ${what} within ${seconds}s (is it frozen?); its connection is dropped`, { host: this.target.label }));
            }, openTimeoutMs);
      // Too late, the answer is dropped: the connection it came on is destroyed already, and the channel with it.
      open((error, channel) => {
        clearTimeout(timer);
        if (!late) return error ? reject(error) : resolve(channel);
      });
    });
  }

  /**
   * Marks the connection lost (keeping the first reason) and drops its socket at once (a polite end would wait
   * for an answer that never comes): every channel on it fails with that reason.
   */
  lost(reason: string): void {
    this.lostReason ??= reason;
    this.alive = false;
    this.destroy();
  }

  /** `: <why>` for messages about the lost connection, or nothing when the reason is unknown. */
  get lossDetail(): string {
    return this.lostReason ? ` (${this.lostReason})` : '';
  }

  private channelError(error: unknown): FabError {
    if (error instanceof FabError) return error;
    if (!this.alive) return new FabError('CONNECTION_LOST', `${this.target.label}: the connection was lost${this.lossDetail}`, { host: this.target.label, cause: error });
    return new FabError('CONNECT_FAILED', `${this.target.label}: could not open a channel: ${(error as Error).message}`, { host: this.target.label, cause: error });
  }

  /** `openTimeoutMs` bounds the wait for the server's answer; `signal` ends the wait for a free channel slot. */
  exec(command: string, options: { pty?: PseudoTtyOptions | boolean; openTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<ClientChannel> {
    return this.session<ClientChannel>((done) => this.client.exec(command, { ...(options.pty ? { pty: options.pty } : {}) }, done), options);
  }

  shell(pty: PseudoTtyOptions | false): Promise<ClientChannel> {
    return this.session<ClientChannel>((done) => this.client.shell(pty, done));
  }

  /** One SFTP session per connection, opened on first use (and again after it was closed while idle). */
  sftp(): Promise<SFTPWrapper> {
    // A server without an SFTP subsystem stays without one: asking again would cost a channel per file operation.
    if (this.noSftp) return Promise.reject(this.noSftp);
    // A server that never answers the SFTP INIT would leave the request waiting forever: env.sftpTimeout bounds it.
    const openTimeoutMs = ((env.sftpTimeout as number | undefined) ?? DEFAULTS.sftpTimeout) * 1000;
    const what = 'the start of an SFTP session (env.sftpTimeout)';
    const opening = (this.sftpSession ??= this.session<SFTPWrapper>((done) => this.client.sftp(done), { openTimeoutMs, what }).then((sftp) => {
      this.sftpChannel = sftp;
      sftp.once('close', () => this.forgetSftp(sftp));
      return sftp;
    }));
    opening.catch(() => {
      if (this.sftpSession === opening) this.sftpSession = undefined;
    });
    return opening.catch((error: unknown) => {
      const explained = sftpStartError(this.target.label, error);
      if (explained instanceof FabError && explained.code === 'NO_SFTP') this.noSftp = explained;
      return Promise.reject(explained);
    });
  }

  /** Stops handing out this SFTP session (it was dropped): the next sftp() opens a new one. */
  forgetSftp(sftp: SFTPWrapper): void {
    if (this.sftpChannel !== sftp) return;
    this.sftpChannel = undefined;
    this.sftpSession = undefined;
  }

  /** A direct-tcpip channel to host:port as seen from this host (how gateways carry the next hop). */
  forwardOut(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) =>
      this.client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => (error ? reject(error) : resolve(channel as unknown as Duplex))),
    );
  }

  /**
   * Ends the connection politely; one whose server does not answer (a frozen host) is dropped after a grace
   * period instead, or its half-closed socket would keep fab from ever exiting.
   */
  close(): void {
    this.alive = false;
    this.client.end();
    const drop = setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
    this.client.once('close', () => clearTimeout(drop));
  }

  /**
   * Drops the socket at once. ssh2's own destroy() does nothing once end() has run (the socket is no longer
   * writable), which is just when a frozen server has left it half-closed: the socket is destroyed directly.
   */
  private destroy(): void {
    const { _sock: socket } = this.client as unknown as { _sock?: Duplex };
    if (socket) socket.destroy();
    else this.client.destroy();
  }
}

/** Why an SFTP session did not start, in the words OpenSSH's sftp would use. */
function sftpStartError(label: string, error: unknown): unknown {
  const message = String((error as { cause?: Error }).cause?.message ?? (error as Error).message);
  if (/Unable to start subsystem|exit code 127 while establishing SFTP/i.test(message)) {
    return new FabError('NO_SFTP', `${label}: the server has no SFTP subsystem (no sftp-server, or no "Subsystem sftp" line in sshd_config)`, { host: label, cause: error });
  }
  if (/Packet length \d+ exceeds max length/i.test(message)) {
    return new FabError('REMOTE_FS', `${label}: SFTP got text instead of its packets: the remote shell prints output for non-interactive sessions; make its start-up files (~/.bashrc ...) print only on a terminal`, { host: label, cause: error });
  }
  return error;
}

/**
 * connect.ts (ssh2 behind it) and target.ts (ssh_config), loaded with the first connection: ~30 ms of start-up
 * that `fab -l` and local-only runs never need.
 */
let connectModule: Promise<typeof Connect> | undefined;
function loadConnect(): Promise<typeof Connect> {
  return (connectModule ??= import('./connect.ts'));
}
let targetModule: Promise<typeof Target> | undefined;
function loadTarget(): Promise<typeof Target> {
  return (targetModule ??= import('./target.ts'));
}

/** Open (or opening) connections by target key. */
export type ConnectionMap = Map<string, Promise<PooledConnection>>;
/** A run's SSH connections and resolved targets (env/context.ts): runs never share a connection. */
const runConnections = runLocal((): ConnectionMap => new Map());
const runTargets = runLocal(() => new Map<string, Promise<ConnectTarget>>());
/** The pool and target cache in force: a library Connection's (through its context), else its run's. */
const poolOf = () => currentContext()?.pool ?? runConnections();
const targetsOf = () => currentContext()?.targets ?? runTargets();
/**
 * OpenSSH's MaxStartups (10:30:100 by default) starts dropping connections once 10 are unauthenticated, and it
 * counts a handshake as done a moment after the client does: handshakes queue here, below that (env.maxStartups).
 */
const handshakes = new Semaphore(DEFAULTS.maxStartups);

/** Extra tries for a connection the server dropped before its banner (MaxStartups), on top of connectionAttempts. */
const DROPPED_RETRIES = 5;

async function open(target: ConnectTarget): Promise<PooledConnection> {
  const attempts = Math.max(1, target.connectionAttempts);
  let drops = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openOnce(target);
    } catch (error) {
      if ((await loadConnect()).droppedBeforeBanner(error) && drops < DROPPED_RETRIES) {
        drops++;
        attempt--;
        events.emit({ kind: 'debug', host: target.label, message: `the server dropped the connection before its banner (MaxStartups?); trying again (${drops} of ${DROPPED_RETRIES})` });
        // Spread out, so that the hosts dropped together do not come back together.
        await new Promise((resolve) => setTimeout(resolve, 100 * drops + Math.random() * 400 * drops));
        continue;
      }
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
    const { connectError } = await loadConnect();
    transport = await gateway.forwardOut(target.hostname, target.port).catch((error) => Promise.reject(connectError(target, error)));
  }
  handshakes.setLimit((env.maxStartups as number | undefined) ?? DEFAULTS.maxStartups);
  const release = await handshakes.acquire();
  events.emit({ kind: 'connect', host: target.label, state: 'connecting', ...(target.jump ? { via: target.jump.label } : {}) });
  // A direct TCP connection opens while ssh2 loads: sshd forks and starts up (tens of ms) meanwhile.
  const socket = transport || target.proxyCommand ? undefined : openSocket(target);
  socket?.catch(() => {}); // reported below, once ssh2 is there to say it
  let client: Client;
  try {
    const { connectError, openClient } = await loadConnect();
    transport ??= await socket?.catch((error) => Promise.reject(connectError(target, error)));
    client = await openClient(target, transport, passwordFor(target));
  } catch (error) {
    transport?.destroy();
    events.emit({ kind: 'connect', host: target.label, state: 'failed', message: (error as Error).message });
    throw error;
  } finally {
    release();
  }
  const maxSessions = (env.maxSessions as number | undefined) ?? 10;
  const software = (client as unknown as { _remoteVer?: string })._remoteVer; // ssh2 keeps the banner's version here
  const serverLimit = sessionLimitFor(software);
  const connection = new PooledConnection(target, client, Math.min(maxSessions, serverLimit ?? maxSessions));
  if (serverLimit !== undefined && serverLimit < maxSessions) {
    events.emit({ kind: 'debug', host: target.label, message: `${software}: at most ${serverLimit} channel at once (this version closes channels opened while a command exits)` });
  }
  events.emit({ kind: 'connect', host: target.label, state: 'connected', ...(target.jump ? { via: target.jump.label } : {}) });
  client.on('error', (error: Error & { level?: string }) => {
    connection.lostReason ??= lossReason(target, error);
    events.emit({ kind: 'debug', host: target.label, message: `connection error: ${error.message}` });
  });
  // Through a gateway the transport is a channel, which only passes on the far end's EOF: end our side too,
  // or the connection (and every channel on it) stays half-open forever after the host drops it.
  transport?.once('end', () => transport.end());
  client.once('end', () => (connection.alive = false));
  client.once('close', () => {
    connection.alive = false;
    events.emit({ kind: 'connect', host: target.label, state: 'closed' });
  });
  return connection;
}

/** Why an established connection failed, in words: ssh2's keepalive timeout says nothing about the settings behind it. */
function lossReason(target: ConnectTarget, error: Error & { level?: string; code?: string }): string {
  if (error.level === 'client-timeout') return `no answer to ${target.keepaliveCountMax} keepalives ${target.keepaliveInterval}s apart`;
  if (error.code === 'ECONNRESET') return 'connection reset';
  return error.message;
}

/** The pooled connection for a target: opened lazily, reopened when the pooled one has died. */
export async function getConnection(target: ConnectTarget): Promise<PooledConnection> {
  const connections = poolOf();
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
  const targets = targetsOf();
  let target = targets.get(hostText);
  if (!target) {
    target = loadTarget().then(({ resolveTarget }) => resolveTarget(hostText));
    targets.set(hostText, target);
    target.catch(() => targets.delete(hostText));
  }
  return getConnection(await target);
}

/** Drops a host's pooled connection (after a reboot): the next operation opens a new one. */
export async function dropConnection(hostText: string): Promise<void> {
  const connections = poolOf();
  const target = await targetsOf().get(hostText)?.catch(() => undefined);
  if (!target) return;
  const existing = connections.get(target.key);
  connections.delete(target.key);
  (await existing?.catch(() => undefined))?.close();
}

/** Closes every pooled connection of the current run (end of run, interrupt). */
export async function closeAll(): Promise<void> {
  const connections = runConnections();
  const open = [...connections.values()];
  connections.clear();
  runTargets().clear();
  await Promise.all(
    open.map(async (pending) => {
      const connection = await pending.catch(() => undefined);
      connection?.close();
    }),
  );
}

export function openConnectionCount(): number {
  return runConnections().size;
}
