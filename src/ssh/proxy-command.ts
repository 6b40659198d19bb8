import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { events } from '../report/events.ts';
import type { ConnectTarget } from './target.ts';

/** A ProxyCommand (ssh_config) as the transport of one connection: the command's stdin and stdout carry SSH. */
export interface ProxyCommandTransport {
  sock: Duplex;
  /**
   * Why the command ended, once it has (`ProxyCommand exited with 3: <last stderr line>`); resolves undefined when it
   * is still running a moment after the connection failed (the failure was then not the command's).
   */
  failure(): Promise<string | undefined>;
}

/** Starts target.proxyCommand with /bin/sh; its stderr lines become debug events, and the last one explains a failure. */
export function startProxyCommand(target: ConnectTarget): ProxyCommandTransport {
  const child = spawn('/bin/sh', ['-c', target.proxyCommand!], { stdio: ['pipe', 'pipe', 'pipe'] });
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  let lastLine = '';
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const line of lines.filter((text) => text.trim() !== '')) {
      lastLine = line.trim();
      events.emit({ kind: 'debug', host: target.label, message: `ProxyCommand: ${lastLine}` });
    }
  });
  const ended = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not be started (${error.message})`));
    child.once('close', (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with ${code}`));
  });
  // A command that dies closes the stream early; that close is what ssh2 reports, so the error itself is not needed.
  sock.on('error', () => {});
  child.stdin.on('error', () => {});
  sock.on('close', () => child.kill());
  return {
    sock,
    async failure() {
      const how = await Promise.race([ended, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000).unref())]);
      const detail = (partial.trim() || lastLine).slice(0, 300);
      return how && `ProxyCommand ${how}${detail ? `: ${detail}` : ''}`;
    },
  };
}
