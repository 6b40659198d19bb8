// Port forwarding over the pooled connection, also behind the bastion (web1 lives in a network namespace).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { forwardLocal, forwardRemote, run } from '../../src/index.ts';
import { closePoolAfter, onHost, useTestbed, type Testbed } from '../support/remote.ts';

let tb: Testbed;
before(() => {
  tb = useTestbed();
});
closePoolAfter();

/** Connects to 127.0.0.1:port here and returns the first line the server sends, or the connect error's code. */
function firstLine(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => finish('no answer within 10 s'), 10000);
    const finish = (value: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.includes('\n')) finish(text.split(/\r?\n/)[0]!);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.on('close', () => finish(text || 'closed without a line'));
  });
}

/** A TCP server on this machine that answers each line with "echo: <line>". */
let echoServer: net.Server;
let echoPort: number;
before(async () => {
  echoServer = net.createServer((socket) => {
    socket.on('data', (chunk) => socket.write(`echo: ${chunk.toString()}`));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => echoServer.listen(0, '127.0.0.1', resolve));
  echoPort = (echoServer.address() as net.AddressInfo).port;
});
after(() => echoServer.close());

/** Run on the remote host: connect to its 127.0.0.1:port, send a line, print the reply (bash's /dev/tcp). */
const talkTo = (port: number) => `exec 3<>/dev/tcp/127.0.0.1/${port} && echo hello-from-remote >&3 && head -n1 <&3`;

describe('forwardLocal', () => {
  it("reaches web1's own sshd (127.0.0.1:2201 inside the namespace) through the bastion, and closes afterwards", async () => {
    const { port, banner } = await onHost('web1', async () => {
      await run('true', { hide: true }); // the pooled connection exists before the forward
      return forwardLocal({ remotePort: tb.hosts.web1.port }, async ({ localPort }) => ({ port: localPort, banner: await firstLine(localPort) }));
    });
    // Only the bastion can reach 127.0.0.1:2201 in the namespace: a banner proves the gateway carried it.
    assert.match(banner, /^SSH-2\.0-OpenSSH/);
    assert.equal(await firstLine(port), 'ECONNREFUSED', 'the local listener is gone after the callback');
  });

  it('listens on a chosen local port, serves several connections, and closes even when the callback throws', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const chosen = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    let lingering: net.Socket | undefined;
    const error = await onHost('direct', () =>
      forwardLocal({ localPort: chosen, remotePort: tb.hosts.direct.port }, async ({ localPort }) => {
        assert.equal(localPort, chosen);
        const banners = await Promise.all([firstLine(localPort), firstLine(localPort), firstLine(localPort)]);
        for (const banner of banners) assert.match(banner, /^SSH-2\.0-/);
        // A connection still open when the callback ends is closed with the forward.
        lingering = net.connect({ host: '127.0.0.1', port: localPort });
        await new Promise((resolve) => lingering!.once('data', resolve));
        throw new Error('callback failed');
      }),
    ).catch((e: unknown) => e);
    assert.equal((error as Error).message, 'callback failed');
    assert.equal(await firstLine(chosen), 'ECONNREFUSED');
    assert.ok(lingering!.destroyed || (await new Promise((resolve) => lingering!.once('close', () => resolve(true)))));
  });
});

describe('forwardRemote', () => {
  it('lets web1 (behind the bastion) reach a server on this machine, and stops listening afterwards', async () => {
    const { reply, port } = await onHost('web1', () =>
      forwardRemote({ localPort: echoPort }, async ({ remotePort }) => ({
        port: remotePort,
        reply: String(await run(`bash -c '${talkTo(remotePort)}'`, { hide: true })),
      })),
    );
    assert.ok(port > 0, 'sshd picked a port');
    assert.equal(reply, 'echo: hello-from-remote');
    const afterwards = await onHost('web1', () => run(`bash -c '${talkTo(port)}' 2>&1`, { hide: true, warnOnly: true }));
    assert.notEqual(afterwards.code, 0);
    assert.match(afterwards.stdout, /Connection refused/);
  });

  it('two forwards on one connection each get their own connections', async () => {
    const other = net.createServer((socket) => socket.on('data', () => socket.end('other server\n')));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const replies = await onHost('direct', () =>
        forwardRemote({ localPort: echoPort }, ({ remotePort: first }) =>
          forwardRemote({ localPort: (other.address() as net.AddressInfo).port }, async ({ remotePort: second }) => [
            String(await run(`bash -c '${talkTo(first)}'`, { hide: true })),
            String(await run(`bash -c '${talkTo(second)}'`, { hide: true })),
          ]),
        ),
      );
      assert.deepEqual(replies, ['echo: hello-from-remote', 'other server']);
    } finally {
      other.close();
    }
  });
});
