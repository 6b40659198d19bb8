// 1,000 hosts: `true`, then 10 sequential commands, on 1,000 aliases of one sshd the bench starts for this figure
// (the test bed's `direct` config and host key, MaxStartups raised to 2,000 and 65,536 descriptors: the test bed's
// own sshd stops taking new connections at 1,000 unauthenticated ones). Wall, client CPU (the whole process tree)
// and peak RSS (the largest process of the tree) of each tool, few rounds: a round of every tool takes minutes.
import path from 'node:path';
import { startSshd } from '../../test/support/sshd.ts';
import { ansible, parallelSsh, pyinfra, type Target } from '../anchor-runs.ts';
import { anchorCells, anchorCheck, compare, type AnchorSamples, cpu, rssMiB, runs, wall, type BenchContext, type FigureResult } from '../context.ts';
import { fab, python, TASKS_FABFILE, writeAliasConfig } from '../fixtures.ts';
import { interleave, measure, type Sample } from '../harness.ts';
import type { Check, Row } from '../report.ts';
import { oneConnectionPerHost } from './fanout.ts';

const HOSTS = 1000;
const COMMANDS = 10;
/** fab, xargs-ssh and parallel-ssh: rounds; Python Fabric and Ansible: one run, stopped at CAP_MS if still going. */
const ROUNDS = 2;
const CAP_MS = 90_000;

export async function thousand(ctx: BenchContext): Promise<FigureResult> {
  const { fx, anchors } = ctx;
  const count = ctx.quick ? 100 : HOSTS;
  const sshd = await startSshd(fx.tb, { configLines: ['MaxStartups 2000:30:2000'], wrap: ['prlimit', '--nofile=65536:65536', '--'] });
  try {
    const config = writeAliasConfig(fx.dir, 'thousand_ssh_config', fx.tb, sshd.port, count);
    const log = path.join(fx.tb.dir, 'logs', `extra-${sshd.port}.log`);
    const hosts = fx.aliases(count);
    const target: Target = { config, hosts, port: sshd.port };
    const { env } = fx;
    const rusage = true;
    const fabRun = (...args: string[]) => () =>
      oneConnectionPerHost(log, count, 'fab', () =>
        measure({ argv: fab('-F', config, '-H', hosts.join(','), '-P', '--hide', 'running,status', ...args), cwd: fx.dir, env, rusage, timeoutMs: 300_000 }),
      );
    const capped = { rusage, capMs: CAP_MS, timeoutMs: CAP_MS + 60_000 };
    const one = { ansible: runs(ctx, 1), pyinfra: runs(ctx, 1), python: runs(ctx, 1) };

    ctx.log(`  ${count} hosts: true`);
    const trues = await interleave(
      {
        fabts: fabRun('--', 'true'),
        openssh: () => measure({ argv: ['xargs', '-a', fx.aliasFile(count), '-P', String(count), '-I{}', 'ssh', '-F', config, '{}', 'true'], cwd: fx.dir, env, rusage, timeoutMs: 300_000 }),
        pssh: anchors.pssh.available ? () => parallelSsh(fx, anchors, target, 'true', 300_000) : undefined,
        python: ctx.python ? () => measure({ argv: python('group.py', config, '1', ...hosts), cwd: fx.dir, env, ...capped }) : undefined,
        ansible: anchors.ansible.available ? () => ansible(fx, anchors, target, 'command', 'true', CAP_MS) : undefined,
        pyinfra: anchors.pyinfra.available ? () => pyinfra(fx, anchors, target, 'true', CAP_MS) : undefined,
      },
      runs(ctx, ROUNDS),
      { warmup: false, runsOf: one },
    );

    // A shell user's tuned equivalent of fab's one connection per host: ControlMaster auto, so each host's first ssh
    // becomes the master and the other nine are multiplexed over it (it lingers 5 s, then rusage.py stops it).
    const loop = `for i in $(seq ${COMMANDS}); do ssh -F '${config}' -o ControlMaster=auto -o 'ControlPath=${fx.dir}/cm-%n' -o ControlPersist=5 "$1" true || exit 1; done`;
    ctx.log(`  ${count} hosts: ${COMMANDS} sequential commands`);
    const tens = await interleave(
      {
        fabts: () =>
          oneConnectionPerHost(log, count, 'fab', () =>
            measure({ argv: fab('-F', config, '-f', TASKS_FABFILE, '-H', hosts.join(','), '-P', `repeat:n=${COMMANDS}`), cwd: fx.dir, env, rusage, timeoutMs: 300_000 }),
          ),
        openssh: () => measure({ argv: ['xargs', '-a', fx.aliasFile(count), '-P', String(count), '-n', '1', 'sh', '-c', loop, 'sh'], cwd: fx.dir, env, rusage, timeoutMs: 300_000 }),
        python: ctx.python ? () => measure({ argv: python('group.py', config, String(COMMANDS), ...hosts), cwd: fx.dir, env, ...capped }) : undefined,
      },
      runs(ctx, ROUNDS),
      { warmup: false, runsOf: { python: one.python } },
    );

    const section = `${count} hosts at once, each alias a connection to one sshd (OpenSSH = xargs -P ${count} ssh; Python = ThreadingGroup)`;
    const notRunTen = {
      ansible: `${COMMANDS} tasks x ${count} hosts (see notes)`,
      pssh: `${COMMANDS} parallel-ssh calls = ${COMMANDS * count} connections`,
      pyinfra: 'see notes',
    };
    const rows: Row[] = [];
    type Samples = { fabts: Sample[]; openssh?: Sample[]; python?: Sample[] } & AnchorSamples;
    const add = (what: string, samples: Samples, notRun: Partial<Record<'ansible' | 'pssh' | 'pyinfra', string>>, withTargets: boolean) => {
      const walls = compare(samples, wall);
      const cpus = compare(samples, cpu);
      const rss = compare(samples, rssMiB);
      const cells = (metric: (s: Sample) => number) => anchorCells(ctx, samples.fabts, samples, metric, notRun);
      const [anchorWalls, anchorCpus, anchorRss] = [cells(wall), cells(cpu), cells(rssMiB)];
      const row = (figure: string, unit: Row['unit'], values: ReturnType<typeof compare>, anchorsOf: typeof anchorWalls, checks: Check[]): Row => ({
        section,
        figure: `${what}: ${figure}`,
        unit,
        ...values,
        anchors: anchorsOf,
        ...(checks.length ? { target: checks.map((c) => c.label).join(', '), checks } : {}),
      });
      rows.push(
        row('wall', 'ms', walls, anchorWalls, withTargets ? [{ label: '<= 0.3x xargs-ssh', met: walls.ratioOpenssh! <= 0.3 }, ...anchorCheck(anchorWalls, 'ansible', 0.2), ...anchorCheck(anchorWalls, 'pyinfra', 0.2), ...anchorCheck(anchorWalls, 'pssh', 0.5)] : []),
        row('client CPU', 'ms', cpus, anchorCpus, withTargets ? [{ label: '<= 0.1x xargs-ssh', met: cpus.ratioOpenssh! <= 0.1 }, ...anchorCheck(anchorCpus, 'ansible', 0.2), ...anchorCheck(anchorCpus, 'pyinfra', 0.2), ...anchorCheck(anchorCpus, 'pssh', 0.5)] : []),
        row('peak RSS (largest process)', 'MiB', rss, anchorRss, [{ label: '<= 150 MiB', met: rss.fabts! <= 150 }]),
      );
    };
    add('`true`', trues, {}, true);
    add(`${COMMANDS} sequential commands`, tens, notRunTen, true);
    const cappedNote = (name: string, list: Sample[] | undefined) =>
      list?.some((s) => s.capped) ? `${name} was stopped after ${CAP_MS / 1000} s (its figures are lower bounds, fab's ratios to it upper bounds). ` : '';
    return {
      rows,
      notes: [
        `${count} hosts: one sshd started by the bench (the test bed's \`direct\` config and key, MaxStartups 2000:30:2000, ` +
          `65,536 descriptors); every tool measured through bench/python/rusage.py: CPU of the whole process tree, ` +
          'peak RSS of its largest process (fab is one process; xargs, parallel-ssh and Ansible run one ssh or worker per host, ' +
          'so their total memory is many times the figure; the wrapper\'s own ~14 MiB is the floor). ' +
          `Runs: fab, xargs-ssh and parallel-ssh ${trues.fabts.length} each (interleaved); Python Fabric and Ansible one, ` +
          `stopped after ${CAP_MS / 1000} s. ${cappedNote('Ansible', trues.ansible)}${cappedNote('Python Fabric (`true`)', trues.python)}${cappedNote(`Python Fabric (${COMMANDS} commands)`, tens.python)}`,
        `${count} hosts, ${COMMANDS} commands: fab runs a task of ${COMMANDS} run() calls per host over its one connection; ` +
          `xargs runs ${COMMANDS} ssh per host with ControlMaster auto (the first is the master, the others multiplexed over it); ` +
          `Python Fabric runs ThreadingGroup.run ${COMMANDS} times. Ansible (${COMMANDS} tasks of a play on ${count} hosts) and ` +
          `parallel-ssh (${COMMANDS} calls, each ${count} new connections) are not run: at their \`true\` cost above they alone ` +
          'would take longer than the whole bench may (15 minutes).',
      ],
    };
  } finally {
    sshd.stop();
  }
}
