import { connect as tcpConnect, type Socket } from 'node:net';
import { ReceiveRing } from './receive-ring.ts';
import type { ConnectTarget } from './target.ts';

const rings = new WeakMap<object, ReceiveRing>();

/** The receive ring of a socket made by openSocket (see receive-ring.ts). */
export function ringOf(transport: object): ReceiveRing | undefined {
  return rings.get(transport);
}

/**
 * A TCP socket with Nagle off (with it on, each command on an open connection stalls ~40 ms), whose reads
 * land where its ReceiveRing says. With `onread`, Node passes reads to a callback instead of a stream:
 * they become 'data' events here, and those that arrive before ssh2 listens (sshd greets at once, and the
 * socket opens while ssh2 loads) wait for it.
 */
export function openSocket(target: ConnectTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const ring = new ReceiveRing();
    const early: Buffer[] = [];
    let listening = false;
    const flushEarly = () => {
      for (const chunk of early.splice(0)) socket.emit('data', chunk);
    };
    const socket = tcpConnect({
      host: target.hostname,
      port: target.port,
      onread: {
        buffer: ring.next,
        callback: (length: number, buffer: Buffer) => {
          const chunk = ring.received(buffer, length);
          if (!listening) {
            early.push(chunk);
            return true;
          }
          if (early.length) flushEarly();
          socket.emit('data', chunk);
          return true;
        },
      },
    });
    socket.on('newListener', (event) => {
      if (event !== 'data' || listening) return;
      listening = true;
      process.nextTick(flushEarly);
    });
    rings.set(socket, ring);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    }, target.connectTimeout * 1000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
