import net from 'node:net';

/**
 * A TCP forwarder in front of a real sshd, for faults the network makes: `freeze()` stops relaying on the
 * connections open now (a frozen link: no data, no FIN), `cut()` destroys them (a dead link). New connections
 * relay normally. `listen()` can also come later than the client's first attempt (a host that comes up late).
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket; frozen: boolean }>();
  accepted = 0;

  /**
   * `latencyMs` holds every chunk from the client that long before relaying it (order kept): a far-away server,
   * which widens the time between what the server sends and the client's answer reaching it.
   */
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
    private readonly options: { latencyMs?: number } = {},
  ) {}

  static async freePort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
  }

  async listen(): Promise<this> {
    this.server = net.createServer((client) => {
      this.accepted++;
      const upstream = net.connect(this.target);
      const pair = { client, upstream, frozen: false };
      this.pairs.add(pair);
      const relay = (from: net.Socket, to: net.Socket, latencyMs = 0) =>
        from.on('data', (chunk) => {
          if (latencyMs === 0) return !pair.frozen && to.write(chunk);
          setTimeout(() => !pair.frozen && !to.destroyed && to.write(chunk), latencyMs);
        });
      relay(client, upstream, this.options.latencyMs);
      relay(upstream, client);
      const drop = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) socket.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  freeze(): void {
    for (const pair of this.pairs) pair.frozen = true;
  }

  cut(): void {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}

/** A TCP listener that accepts connections and never says a word: a host whose sshd hangs before its banner. */
export async function silentListener(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket)).on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
