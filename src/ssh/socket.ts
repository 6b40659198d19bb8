import { connect as tcpConnect, type Socket } from 'node:net';
import type { ConnectTarget } from './target.ts';

/** A TCP socket with Nagle off: with it on, each command on an open connection stalls ~40 ms. */
export function openSocket(target: ConnectTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: target.hostname, port: target.port });
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
