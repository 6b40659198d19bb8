import { spawn } from 'node:child_process';
import type { Testbed } from './testbed.ts';

/** Where the demo's stand-in app answers health checks: on each private host's own loopback (web1 and web2 share it). */
export const DEMO_HEALTH_URL = 'http://127.0.0.1:8080/health';

/**
 * The `fab` command lines of the demo, in order: `npm run demo` runs them for people to watch, and
 * test/e2e/example.test.ts runs them in the suite so the demo keeps working. `config` is a 0600 config file
 * holding the sudo password and `demoRoot` (secrets never go on a command line).
 */
export function demoSteps(tb: Testbed, fabfile: string, config: string): string[][] {
  const common = ['-f', fabfile, '-F', tb.sshConfigPath, '-c', config];
  return [
    [...common, '-l'],
    [...common, '-H', 'direct,web1', 'info'],
    [...common, '-H', 'web1', 'upload'],
    [...common, '-H', 'web1', 'logs'],
    [...common, 'deploy:release=demo-1'],
    // A rolling deploy: web1 is the canary, then 50% of the hosts at a time; each batch's health is checked on
    // 127.0.0.1:8080 as each host sees it, through that host's own SSH connection; a deploy lock on both hosts.
    [...common, 'deploy:release=demo-2', '--batch', '1,50%', '--gate-http', DEMO_HEALTH_URL, '--max-fail', '0', '--lock-wait', '30'],
    [...common, '-P', '-H', 'direct,web1,web2', '--', 'uptime'],
  ];
}

const APP = `
const http = require('node:http');
const server = http.createServer((request, response) => {
  response.statusCode = request.url === '/health' ? 200 : 404;
  response.end(request.url === '/health' ? 'ok\\n' : 'not found\\n');
});
server.listen(8080, '127.0.0.1', () => console.log('listening'));
`;

/**
 * Starts the demo's stand-in app inside the private hosts' network namespace: `GET /health` on 127.0.0.1:8080,
 * which nothing outside the namespace can reach. Resolves to a function that stops it (by its pid).
 */
export async function startDemoApp(tb: Testbed): Promise<() => void> {
  const child = spawn('ip', ['netns', 'exec', tb.netns, process.execPath, '-e', APP], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the demo app exited (${code}): ${errors}`)));
  });
  child.unref();
  return () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* gone already */
    }
  };
}
