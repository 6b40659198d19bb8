// `npm run demo` (as root): brings up the test bed's four real sshd hosts, runs fabfile.example.ts against them
// with the built `fab`, exactly as a user would, and tears the hosts down whatever happens.
//
//   direct   an sshd on this machine's loopback
//   bastion  the gateway: reachable from here, and inside the private network namespace
//   web1/2   private hosts, reachable only through the bastion (ProxyJump in the generated ssh_config)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoSteps, startDemoApp } from './demo-steps.ts';
import { startTestbed, stopTestbedSync, type Testbed } from './testbed.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fabBin = path.join(root, 'dist/cli/bin.js');
const fabfile = path.join(root, 'fabfile.example.ts');

let tb: Testbed | undefined;
let home: string | undefined;
let stopApp: (() => void) | undefined;
function teardown(): void {
  stopApp?.();
  stopApp = undefined;
  if (tb) stopTestbedSync(tb);
  tb = undefined;
  if (home) fs.rmSync(home, { recursive: true, force: true });
  home = undefined;
}
process.on('exit', teardown);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(130));

function fab(args: string[]): Promise<number> {
  process.stdout.write(`\n$ fab ${args.join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fabBin, ...args], { stdio: 'inherit', env: { ...process.env, HOME: home } });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

if (!fs.existsSync(fabBin)) {
  process.stderr.write('dist/ is missing: run `npm run build` first (npm run demo does)\n');
  process.exit(1);
}

const started = Date.now();
tb = await startTestbed();
process.stdout.write(
  `demo hosts up in ${Date.now() - started} ms: direct, bastion, and web1/web2 behind the bastion (ssh_config: ${tb.sshConfigPath})\n`,
);

// The stand-in app the rolling deploy's health gate checks, on the private hosts' loopback.
stopApp = await startDemoApp(tb);

// A fresh HOME for the demo, so it neither reads nor writes the real ~/.ssh or ~/.fabrc. The sudo password goes
// in a config file readable only by its owner: secrets never go on a command line.
home = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-demo-home-'));
const config = path.join(home, 'demo.fabrc.json');
fs.writeFileSync(config, JSON.stringify({ sudoPassword: tb.password, demoRoot: tb.remoteDir }), { mode: 0o600 });
const steps = demoSteps(tb, fabfile, config);
let status = 0;
for (const args of steps) {
  status = await fab(args);
  if (status !== 0) break;
}
process.stdout.write(status === 0 ? '\ndemo finished: every step succeeded\n' : `\ndemo stopped: fab exited with ${status}\n`);
teardown();
process.exit(status);
