// Brings the test bed up and keeps it up until Ctrl-C / SIGTERM, then tears it down.
//   node --import tsx test/hosts/up.ts [--dir DIR]
// Prints the state path and an `export FABTS_TESTBED=...` line; with that exported, `node --import tsx test/run.ts`
// reuses these hosts instead of starting its own.
import { startTestbed, stopTestbedSync, type Testbed } from './testbed.ts';

const args = process.argv.slice(2);
const dirAt = args.indexOf('--dir');
const dir = dirAt >= 0 ? args[dirAt + 1] : undefined;

let tb: Testbed | undefined;
let stopping = false;
function stop(code: number): never {
  if (!stopping && tb) {
    stopping = true;
    process.stderr.write('tearing the test bed down...\n');
    stopTestbedSync(tb);
  }
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
process.on('SIGHUP', () => stop(0));

try {
  const t0 = Date.now();
  tb = await startTestbed(dir ? { dir } : {});
  const h = tb.hosts;
  process.stdout.write(
    [
      `test bed up in ${Date.now() - t0} ms: ${tb.statePath}`,
      `  direct   127.0.0.1:${h.direct.port}`,
      `  bastion  127.0.0.1:${h.bastion.port}   (netns ${tb.netns})`,
      `  web1     127.0.0.1:${h.web1.port} inside the netns, via bastion`,
      `  web2     127.0.0.1:${h.web2.port} inside the netns, via bastion`,
      `  user ${tb.user}  password ${tb.password}`,
      `  key ${tb.keyPath}  (encrypted: ${tb.encryptedKeyPath}, passphrase ${tb.keyPassphrase})`,
      `  try: ssh -F ${tb.sshConfigPath} web1`,
      'Ctrl-C (or SIGTERM) tears it down.',
      `export FABTS_TESTBED=${tb.statePath}`,
      '',
    ].join('\n'),
  );
  setInterval(() => {}, 1 << 30);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
