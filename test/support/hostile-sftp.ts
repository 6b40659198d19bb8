// Starts test/support/hostile-sftp-server.ts in its own process and stops it when the test file ends.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';

const SCRIPT = fileURLToPath(new URL('./hostile-sftp-server.ts', import.meta.url));
const stops: (() => void)[] = [];
after(() => {
  for (const stop of stops) stop();
});

export interface HostileServer {
  port: number;
  /** `ssh-ed25519 AAAA...`: the server's host key, for known_hosts lines. */
  hostKey: string;
  /** A host string reaching it. */
  host: string;
}

export async function startHostileServer(mode: 'names' | 'mute-init' | 'mute-after-init' | 'huge' | 'no-sftp-mute-exec', arg = ''): Promise<HostileServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, mode, arg], { stdio: ['ignore', 'pipe', 'inherit'] });
  stops.push(() => child.kill('SIGTERM'));
  let text = '';
  for await (const chunk of child.stdout) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  if (!text.includes('\n')) {
    await once(child, 'close');
    throw new Error('the hostile SFTP server did not start');
  }
  const { port, hostKey } = JSON.parse(text.split('\n')[0]!) as { port: number; hostKey: string };
  return { port, hostKey, host: `x@127.0.0.1:${port}` };
}
