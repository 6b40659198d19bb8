// Memory: peak RSS of `fab` holding 500 open connections (each an alias of the test bed's sshd), against the same
// `fab` holding one (the marginal cost of a connection) and none (the process baseline). Measured by the process
// itself (getrusage maxRSS; RSS and V8 heap figures after a full GC).
import { type BenchContext, type FigureResult } from '../context.ts';
import { FAB_BIN, TASKS_FABFILE } from '../fixtures.ts';
import { benchJson, measure } from '../harness.ts';

const CONNECTIONS = 500;
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=4';

interface Memory {
  peakKiB: number;
  afterGcKiB: number;
  heapUsedKiB: number;
  heapCommittedKiB: number;
  externalKiB: number;
}

export async function memory(ctx: BenchContext): Promise<FigureResult> {
  const { fx } = ctx;
  const count = ctx.quick ? 50 : CONNECTIONS;
  // --expose-gc: the task can collect garbage before reading the idle RSS.
  const holding = async (hosts: number, nodeFlags: string[] = []) => {
    const args = hosts === 0 ? ['memory'] : ['-F', fx.fanoutConfig, '-H', fx.aliases(hosts).join(','), '-P', '--hide', 'running,status', 'touch', 'memory'];
    const argv = [process.execPath, '--expose-gc', ...nodeFlags, FAB_BIN, '-f', TASKS_FABFILE, ...args];
    const sample = await measure({ argv, cwd: fx.dir, env: fx.env, timeoutMs: 300_000 });
    return { ...benchJson<Memory>(sample.stdout), wallMs: sample.wallMs };
  };
  const base = await holding(0);
  // One connection pays for what every connection shares (ssh2's protocol code, crypto, ssh_config, known_hosts):
  // the marginal cost of a connection is measured from there.
  const one = await holding(1);
  const many = await holding(count);
  // A run over 32 hosts or more keeps V8's young generation at its first size (src/util/young-generation.ts); the
  // run with a smaller ceiling from the start (a flag Node.js takes only at start) shows what the connections hold.
  const capped = [await holding(1, [SMALL_YOUNG_GENERATION]), await holding(count, [SMALL_YOUNG_GENERATION])] as const;
  const perPeakCapped = (capped[1].peakKiB - capped[0].peakKiB) / (count - 1);
  const perPeak = (many.peakKiB - one.peakKiB) / (count - 1);
  const perIdle = (many.afterGcKiB - one.afterGcKiB) / (count - 1);
  const section = `Memory: ${count} open connections in one fab`;
  const per = (key: keyof Memory) => ((many[key] - one[key]) / (count - 1)).toFixed(1);
  const mib = (kib: number) => kib / 1024;
  return {
    rows: [
      { section, figure: 'process baseline: peak RSS of fab with the fabfile loaded, no connection', unit: 'MiB', fabts: mib(base.peakKiB) },
      { section, figure: 'peak RSS with 1 connection open', unit: 'MiB', fabts: mib(one.peakKiB) },
      { section, figure: `peak RSS with ${count} connections open`, unit: 'MiB', fabts: mib(many.peakKiB) },
      { section, figure: `per connection: peak RSS (${count} - 1 connections) ÷ ${count - 1}`, unit: 'KiB', fabts: perPeak, target: '<= 100 KiB', met: perPeak <= 100 },
      { section, figure: `per idle connection: RSS after GC (${count} - 1 connections) ÷ ${count - 1}`, unit: 'KiB', fabts: perIdle, target: '<= 100 KiB', met: perIdle <= 100 },
      { section, figure: `per connection, peak RSS, fab started with node ${SMALL_YOUNG_GENERATION}`, unit: 'KiB', fabts: perPeakCapped },
    ],
    notes: [
      `Memory per connection, after GC: the JS heap grows by ${per('heapCommittedKiB')} KiB, of which ${per('heapUsedKiB')} KiB are live objects; ` +
        `${per('externalKiB')} KiB are off the JS heap (buffers, native crypto). A run over 32 hosts or more keeps V8's young generation at its ` +
        'first size (its growth factor set to 1 at run time): without that, it grew to 2 x 16 MiB during the burst of handshakes and stayed, ' +
        '~108 KiB per connection in all (measured before the change).',
      `Memory: one run each with 0, 1 and ${count} connections (${(many.wallMs / 1000).toFixed(1)} s to open ${count} with \`fab -P\`); baseline after GC ${mib(base.afterGcKiB).toFixed(1)} MiB, ${mib(one.afterGcKiB).toFixed(1)} MiB with 1 connection, ${mib(many.afterGcKiB).toFixed(1)} MiB with ${count}.`,
    ],
  };
}
