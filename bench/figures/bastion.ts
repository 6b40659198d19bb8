// Through the bastion: 20 commands on each of the two private hosts (web1, web2, reachable only via the bastion),
// both hosts at once, and how many connections the bastion got. fabts: `fab -P -H web1,web2 repeat:n=20`;
// OpenSSH: 20 `ssh web1 true` (ProxyJump) per host; Python Fabric: ThreadingGroup(web1, web2).run x 20.
import { compare, runs, wall, type BenchContext, type FigureResult } from '../context.ts';
import { fab, python, TASKS_FABFILE } from '../fixtures.ts';
import { interleave, measure, type Sample } from '../harness.ts';
import type { Testbed } from '../../test/hosts/testbed.ts';
import { descendants, snapshot } from '../../test/hosts/procs.ts';

const COMMANDS = 20;

/** pids of the bastion's per-connection sshd (children of its socat listener). */
function bastionSessionPids(tb: Testbed): number[] {
  const procs = snapshot();
  return descendants(tb.pids.bastion, procs)
    .filter((p) => p.comm === 'sshd' && procs.get(p.ppid)?.comm !== 'sshd')
    .map((p) => p.pid);
}

interface BastionSample extends Sample {
  /** Most of this run's connections the bastion held at once (polled). */
  peak: number;
  /** Connections the bastion got over the whole run (distinct sshd sessions seen). */
  total: number;
}

async function withBastionCount(tb: Testbed, run: (during: () => void) => Promise<Sample>): Promise<BastionSample> {
  let peak = 0;
  const seen = new Set<number>();
  // A connection of the tool that ran just before may still be closing on the bastion when this run starts: it is
  // not this run's (it once made fab's count 2, for a run that opened 1).
  const earlier = new Set(bastionSessionPids(tb));
  const poll = () => {
    const now = bastionSessionPids(tb).filter((pid) => !earlier.has(pid));
    peak = Math.max(peak, now.length);
    for (const pid of now) seen.add(pid);
  };
  const sample = await run(poll);
  return { ...sample, peak, total: seen.size };
}

export async function bastion(ctx: BenchContext): Promise<FigureResult> {
  const { fx } = ctx;
  const { tb, env } = fx;
  const config = tb.sshConfigPath;
  const sshLoops = `for h in web1 web2; do (for i in $(seq ${COMMANDS}); do ssh -F '${config}' $h true || exit 1; done) & done; wait`;
  const samples = await interleave<'fabts' | 'openssh' | 'python', BastionSample>(
    {
      fabts: () => withBastionCount(tb, (poll) => measure({ argv: fab('-F', config, '-f', TASKS_FABFILE, '-H', 'web1,web2', '-P', `repeat:n=${COMMANDS}`), cwd: fx.dir, env }, poll)),
      openssh: () => withBastionCount(tb, (poll) => measure({ argv: ['bash', '-c', sshLoops], cwd: fx.dir, env }, poll)),
      python: ctx.python ? () => withBastionCount(tb, (poll) => measure({ argv: python('group.py', config, String(COMMANDS), 'web1', 'web2'), cwd: fx.dir, env }, poll)) : undefined,
    },
    runs(ctx, 2),
  );
  const section = `Through the bastion: web1 + web2 at once, ${COMMANDS} commands each`;
  const connections = (list: BastionSample[] | undefined) => (list ? Math.max(...list.map((s) => s.total)) : undefined);
  const fabPeak = Math.max(...samples.fabts.map((s) => s.peak));
  const fabTotal = connections(samples.fabts)!;
  const pythonTotal = connections(samples.python);
  return {
    rows: [
      { section, figure: 'wall', unit: 'ms', ...compare(samples, wall) },
      {
        section,
        figure: 'bastion connections used (most in any run)',
        unit: 'conn',
        fabts: fabTotal,
        openssh: connections(samples.openssh)!,
        ...(pythonTotal !== undefined ? { python: pythonTotal } : {}),
        target: '1 for any number of private targets',
        met: fabTotal === 1 && fabPeak === 1,
      },
    ],
    notes: [
      `Bastion connections: distinct per-connection sshd processes under the bastion's listener, polled every 20 ms during each run, those already there when the run started left out; fabts' peak was ${fabPeak}. ` +
        'The wall time includes start-up and the three connections (bastion, web1, web2): ssh opens two per command (bastion, then the host through it).',
    ],
  };
}
