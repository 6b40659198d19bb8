import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClientChannel, TcpConnectionDetails } from 'ssh2';
import { FabError, describeError } from '../../errors.ts';
import { events } from '../../report/events.ts';
import { connectionFor, type PooledConnection } from '../../ssh/pool.ts';
import { requireHost } from '../command/remote.ts';

export interface LocalForward {
  /** Port to listen on here; 0 (the default) picks a free one, passed to the callback. */
  localPort?: number;
  /** Address to listen on here (default 127.0.0.1). */
  localHost?: string;
  /** Where the remote host connects to, as it sees it (default 127.0.0.1). */
  remoteHost?: string;
  remotePort: number;
}

export interface RemoteForward {
  /** Port the remote host listens on; 0 lets sshd pick one, passed to the callback. */
  remotePort?: number;
  /** Address the remote host listens on (default 127.0.0.1; sshd's GatewayPorts decides about others). */
  remoteHost?: string;
  /** Where connections go, as this machine sees it (default 127.0.0.1). */
  localHost?: string;
  localPort: number;
}

/** Pipes two streams both ways; either end closing closes the other. */
function splice(a: Duplex, b: Duplex, open: Set<Duplex>): void {
  open.add(a).add(b);
  const end = () => {
    a.destroy();
    b.destroy();
    open.delete(a);
    open.delete(b);
  };
  a.on('error', end).on('close', end);
  b.on('error', end).on('close', end);
  a.pipe(b).pipe(a);
}

function forwardError(host: string, what: string, error: unknown): FabError {
  return new FabError('CONNECT_FAILED', `${host}: could not ${what}: ${describeError(error)}`, { host, cause: error });
}

/**
 * Listens on a local port while fn runs; each connection to it is carried over the current host's
 * pooled SSH connection (and its gateway) to remoteHost:remotePort as the host sees it (`ssh -L`).
 * The listener and every forwarded connection are closed when fn settles.
 */
export async function forwardLocal<T>(spec: LocalForward, fn: (info: { localPort: number }) => T | Promise<T>): Promise<T> {
  const host = requireHost('forwardLocal').text;
  const connection = await connectionFor(host);
  const remoteHost = spec.remoteHost ?? '127.0.0.1';
  const open = new Set<Duplex>();
  let closed = false;
  const server: Server = createServer((socket: Socket) => {
    socket.pause();
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    connection.forwardOut(remoteHost, spec.remotePort).then(
      (channel) => {
        // A connection that came in as the forward was closing: nothing to carry it to any more.
        if (closed) return void channel.destroy();
        splice(socket, channel, open);
        socket.resume();
      },
      (error: unknown) => {
        events.emit({ kind: 'warning', host, message: `forwardLocal: ${remoteHost}:${spec.remotePort} refused a connection: ${describeError(error)}` });
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(forwardError(host, `listen on ${spec.localHost ?? '127.0.0.1'}:${spec.localPort ?? 0}`, error)));
    server.listen(spec.localPort ?? 0, spec.localHost ?? '127.0.0.1', resolve);
  });
  const localPort = (server.address() as AddressInfo).port;
  events.emit({ kind: 'debug', host, message: `forwarding local port ${localPort} to ${remoteHost}:${spec.remotePort}` });
  try {
    return await fn({ localPort });
  } finally {
    closed = true;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const stream of open) stream.destroy();
    });
    events.emit({ kind: 'debug', host, message: `closed the forward of local port ${localPort}` });
  }
}

function request(connection: PooledConnection, start: boolean, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null | undefined, bound?: number) => (error ? reject(error) : resolve(bound || port));
    if (start) connection.client.forwardIn(address, port, done);
    else connection.client.unforwardIn(address, port, (error) => done(error));
  });
}

/**
 * Makes the current host listen on remotePort while fn runs; each connection there is carried back over
 * the pooled SSH connection to localHost:localPort on this machine (`ssh -R`). The remote listener and
 * every forwarded connection are closed when fn settles.
 */
export async function forwardRemote<T>(spec: RemoteForward, fn: (info: { remotePort: number }) => T | Promise<T>): Promise<T> {
  const host = requireHost('forwardRemote').text;
  const connection = await connectionFor(host);
  const remoteHost = spec.remoteHost ?? '127.0.0.1';
  const localHost = spec.localHost ?? '127.0.0.1';
  const remotePort = await request(connection, true, remoteHost, spec.remotePort ?? 0).catch((error: unknown) => {
    throw forwardError(host, `listen on ${remoteHost}:${spec.remotePort ?? 0} there (is AllowTcpForwarding on?)`, error);
  });
  const open = new Set<Duplex>();
  const onConnection = (details: TcpConnectionDetails, accept: () => ClientChannel) => {
    // Several forwards can share the connection: each takes only its own port's connections.
    if (details.destPort !== remotePort) return;
    const channel = accept();
    const socket = connect(spec.localPort, localHost);
    socket.once('error', (error) => events.emit({ kind: 'warning', host, message: `forwardRemote: ${localHost}:${spec.localPort} refused a connection: ${error.message}` }));
    splice(channel, socket, open);
  };
  connection.client.on('tcp connection', onConnection);
  events.emit({ kind: 'debug', host, message: `forwarding remote port ${remotePort} to ${localHost}:${spec.localPort}` });
  try {
    return await fn({ remotePort });
  } finally {
    connection.client.off('tcp connection', onConnection);
    for (const stream of open) stream.destroy();
    if (connection.alive) await request(connection, false, remoteHost, remotePort).catch(() => undefined);
    events.emit({ kind: 'debug', host, message: `closed the forward of remote port ${remotePort}` });
  }
}
