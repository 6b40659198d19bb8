// Per-command latency: 200 sequential `true` on one open connection. fabts: a task looping run('true') on its pooled
// connection; OpenSSH: `ssh -S` through a ControlMaster started beforehand; Python Fabric: Connection.run in a loop.
// Each tool times its own loop, so connecting is left out of the figure.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { compare, runs, type BenchContext, type FigureResult } from '../context.ts';
import { fab, python, TASKS_FABFILE } from '../fixtures.ts';
import { benchJson, interleave, measure, type Sample } from '../harness.ts';

const COUNT = 200;

/** The loop's time, put where `wallMs` is so the shared helpers read it. */
function loopSample(sample: Sample): Sample {
  return { ...sample, wallMs: benchJson<{ loopMs: number }>(sample.stdout).loopMs };
}

export async function perCommand(ctx: BenchContext): Promise<FigureResult> {
  const { fx } = ctx;
  const config = fx.tb.sshConfigPath;
  const env = fx.env;
  const socket = path.join(fx.dir, 'cm.sock');
  const ssh = (...args: string[]) => spawnSync('ssh', ['-F', config, '-S', socket, ...args], { env, encoding: 'utf8' });

  const controlMaster = async (): Promise<Sample> => {
    const master = ssh('-M', '-f', '-N', '-o', 'ControlPersist=no', 'direct');
    if (master.status !== 0) throw new Error(`ssh -M (ControlMaster) failed: ${master.stderr}`);
    try {
      const loop = `for i in $(seq ${COUNT}); do ssh -F '${config}' -S '${socket}' direct true || exit 1; done`;
      const started = performance.now();
      const sample = await measure({ argv: ['bash', '-c', loop], cwd: fx.dir, env });
      return { ...sample, wallMs: performance.now() - started };
    } finally {
      ssh('-O', 'exit', 'direct');
    }
  };
  const samples = await interleave(
    {
      fabts: async () => loopSample(await measure({ argv: fab('-F', config, '-f', TASKS_FABFILE, '-H', 'direct', `loop:n=${COUNT}`), cwd: fx.dir, env })),
      openssh: controlMaster,
      python: ctx.python ? async () => loopSample(await measure({ argv: python('loop.py', config, 'direct', String(COUNT)), cwd: fx.dir, env })) : undefined,
    },
    // Each loop leaves its connecting command out of the timing: no warm-up round is needed.
    runs(ctx, 2),
    { warmup: false },
  );
  const perCommandMs = compare(samples, (sample) => sample.wallMs / COUNT);
  const metAbsolute = perCommandMs.fabts! <= 5;
  const metRatio = perCommandMs.ratioOpenssh! <= 0.5;
  return {
    rows: [
      {
        section: `Per command, ${COUNT} sequential on one open connection`,
        figure: '`true`: time per command',
        note: 'OpenSSH = ssh -S via a ControlMaster',
        unit: 'ms',
        ...perCommandMs,
        target: '<= 5 ms and <= 0.5x ControlMaster',
        met: metAbsolute && metRatio,
      },
    ],
    notes: [
      'Per command: run() sends a command of plain words (`true`) to the login shell as it is; anything a shell could read ' +
        'differently still goes through `/bin/sh -c` (one more process on the host, ~1 ms).',
    ],
  };
}
