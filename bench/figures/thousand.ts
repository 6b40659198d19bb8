// 1,000 hosts: `true`, then 10 sequential commands, on 1,000 aliases of the bench's fleet sshd (fixtures.ts: MaxStartups
// raised to 2,000 and descriptors to the hard limit, since the test bed's own sshd stops taking new connections at
// 1,000 unauthenticated ones). Wall, client CPU (the whole process tree) and peak RSS (the largest process of the tree)
// of each tool, one round: a round of every tool takes minutes.
import { spawnSync } from 'node:child_process';
import { ansible, parallelSsh, pyinfra, type Target } from '../anchor-runs.ts';
import { anchorCells, anchorCheck, capAfter, ratioCheck, compare, failedCells, type AnchorFailures, type AnchorSamples, cpu, rssMiB, runs, wall, type BenchContext, type FigureResult } from '../context.ts';
import { fab, python, TASKS_FABFILE } from '../fixtures.ts';
import { interleave, measure, withServerCpu, type Sample, type Variant } from '../harness.ts';
import type { Check, Row } from '../report.ts';
import { oneConnectionPerHost } from './fanout.ts';

const HOSTS = 1000;

function hardLimit(): string {
  return spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
}
const COMMANDS = 10;
/**
 * One run of each tool: on the bench machine every tool's run of 1,000 hosts takes a minute or more, most of it the
 * host's CPU (sshd, ~50 ms a connection: the row "sshd CPU per host"), and the whole bench has 15 minutes. Every tool
 * but fab is stopped if still going at 1.25x fab's wall time in the same round (30 s to 90 s; 120 s for the 10
 * commands): its figures are then lower bounds ("at least (stopped)") and fab's ratios to it upper bounds. That
 * decides the CPU targets; the wall targets here are bounded by the host's CPU, for every tool (docs/performance.md).
 */
const ROUNDS = 1;
const CAP_FACTOR = 1.25;
const CAP_FLOOR_MS = 30_000;
const CAP_CEILING_MS = 90_000;
const CAP_CEILING_TEN_MS = 120_000;

export async function thousand(ctx: BenchContext): Promise<FigureResult> {
  const { fx, anchors } = ctx;
  const count = ctx.quick ? 100 : HOSTS;
  const sshd = fx.fleet;
  const config = fx.fanoutConfig;
  const log = sshd.logPath;
  const hosts = fx.aliases(count);
  const target: Target = { config, hosts, port: sshd.port };
  const { env } = fx;
  const rusage = true;
  let fabWall = 0;
  const cap = capAfter(() => fabWall, CAP_FACTOR, CAP_FLOOR_MS, CAP_CEILING_MS);
  const capTen = capAfter(() => fabWall, CAP_FACTOR, CAP_FLOOR_MS, CAP_CEILING_TEN_MS);
  const fabRun = (...args: string[]) => async () => {
    const sample = await oneConnectionPerHost(log, count, 'fab', () =>
      measure({ argv: fab('-F', config, '-H', hosts.join(','), '-P', ...args), cwd: fx.dir, env, rusage, timeoutMs: 300_000 }),
    );
    fabWall = sample.wallMs;
    return sample;
  };
  /** measure()'s options for a run stopped at `limit()` (a minute more before it counts as failed). */
  const capped = (limit = cap) => ({ rusage, capMs: limit(), timeoutMs: limit() + 60_000 });
  const failures: AnchorFailures = { openssh: undefined, python: undefined, ansible: undefined, pssh: undefined, pyinfra: undefined };
  const failuresTen: AnchorFailures = { openssh: undefined };
  // Every run also reads the sshd's CPU: the host's share of each connection, the floor under every tool's wall time.
  const server = <K extends string>(variants: Record<K, Variant<Sample> | undefined>) =>
    Object.fromEntries(Object.entries(variants).map(([name, run]) => [name, run && (() => withServerCpu(sshd.pid, run as Variant<Sample>))])) as Record<K, Variant<Sample> | undefined>;

  ctx.log(`  ${count} hosts: true`);
  const trues = await interleave(
    server({
      fabts: fabRun('--hide', 'running,status', '--', 'true'),
      openssh: () => measure({ argv: ['xargs', '-a', fx.aliasFile(count), '-P', String(count), '-I{}', 'ssh', '-F', config, '{}', 'true'], cwd: fx.dir, env, ...capped() }),
      pssh: anchors.pssh.available ? () => parallelSsh(fx, anchors, target, 'true', cap()) : undefined,
      python: ctx.python ? () => measure({ argv: python('group.py', config, '1', ...hosts), cwd: fx.dir, env, ...capped() }) : undefined,
      ansible: anchors.ansible.available ? () => ansible(fx, anchors, target, 'command', 'true', cap()) : undefined,
      pyinfra: anchors.pyinfra.available ? () => pyinfra(fx, anchors, target, 'true', cap()) : undefined,
    }),
    runs(ctx, ROUNDS),
    { warmup: false, failures },
  );

  // A shell user's tuned equivalent of fab's one connection per host: ControlMaster auto, so each host's first ssh
  // becomes the master and the other nine are multiplexed over it (it would linger 60 s: rusage.py stops it when xargs is done).
  const loop = `for i in $(seq ${COMMANDS}); do ssh -F '${config}' -o ControlMaster=auto -o 'ControlPath=${fx.dir}/cm-%n' -o ControlPersist=60 "$1" true || exit 1; done`;
  ctx.log(`  ${count} hosts: ${COMMANDS} sequential commands`);
  const tens = await interleave(
    server({
      fabts: fabRun('-f', TASKS_FABFILE, `repeat:n=${COMMANDS}`),
      openssh: () => measure({ argv: ['xargs', '-a', fx.aliasFile(count), '-P', String(count), '-n', '1', 'sh', '-c', loop, 'sh'], cwd: fx.dir, env, ...capped(capTen) }),
    }),
    1,
    { warmup: false, failures: failuresTen },
  );

  const section = `${count} hosts at once, each alias a connection to one sshd (OpenSSH = xargs -P ${count} ssh; Python = ThreadingGroup)`;
  const notRunTen = {
    ansible: `not run: ${COMMANDS} tasks x ${count} hosts (see notes)`,
    pssh: `not run: ${COMMANDS} parallel-ssh calls = ${COMMANDS * count} connections`,
    pyinfra: 'not run (see notes)',
    ...failedCells(failuresTen),
  };
  const rows: Row[] = [];
  const perHost = (sample: Sample) => (sample.serverCpuMs ?? NaN) / count;
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
      row('wall', 'ms', walls, anchorWalls, withTargets ? [...ratioCheck(walls.ratioOpenssh, 0.3, 'xargs-ssh'), ...anchorCheck(anchorWalls, 'ansible', 0.2), ...anchorCheck(anchorWalls, 'pyinfra', 0.2), ...anchorCheck(anchorWalls, 'pssh', 0.5)] : []),
      row('client CPU', 'ms', cpus, anchorCpus, withTargets ? [...ratioCheck(cpus.ratioOpenssh, 0.1, 'xargs-ssh'), ...anchorCheck(anchorCpus, 'ansible', 0.2), ...anchorCheck(anchorCpus, 'pyinfra', 0.2), ...anchorCheck(anchorCpus, 'pssh', 0.5)] : []),
      row('peak RSS (largest process)', 'MiB', rss, anchorRss, [{ label: '<= 150 MiB', met: rss.fabts! <= 150 }]),
      row('sshd CPU per host (server side, for reference)', 'ms', compare(samples, perHost), cells(perHost), []),
    );
  };
  add('`true`', trues, failedCells(failures), true);
  add(`${COMMANDS} sequential commands`, tens, notRunTen, true);
  const cappedNote = (name: string, list: Sample[] | undefined) => {
    const stopped = list?.find((s) => s.capped);
    return stopped ? `${name} was stopped after ${(stopped.wallMs / 1000).toFixed(0)} s (its figures are lower bounds, fab's ratios to it upper bounds). ` : '';
  };
  const failedNote = Object.entries({ ...failures, ...failuresTen })
    .filter(([, why]) => why)
    .map(([name, why]) => `${name} failed (${why}). `)
    .join('');
  return {
    rows,
    notes: [
      `${count} hosts: the bench's fleet sshd (the test bed's \`direct\` config and key, UsePAM no, MaxStartups 2000:30:2000, ` +
        `descriptors up to the hard limit, ${hardLimit()}); every tool measured through bench/python/rusage.py: CPU of the whole process tree, ` +
        'peak RSS of its largest process (fab is one process; xargs, parallel-ssh and Ansible run one ssh or worker per host, ' +
        'so their total memory is many times the figure; the wrapper\'s own ~14 MiB is the floor). ' +
        `One run of each tool, of \`true\` and of ${COMMANDS} commands. Every tool but fab is stopped if still going at ` +
        `${CAP_FACTOR}x fab's wall time in the same round (${CAP_FLOOR_MS / 1000} s to ${CAP_CEILING_MS / 1000} s; ${CAP_CEILING_TEN_MS / 1000} s for ${COMMANDS} commands). ` +
        `${cappedNote('xargs-ssh (`true`)', trues.openssh)}${cappedNote(`xargs-ssh (${COMMANDS} commands)`, tens.openssh)}${cappedNote('Ansible', trues.ansible)}${cappedNote('parallel-ssh', trues.pssh)}${cappedNote('Python Fabric (`true`)', trues.python)}${failedNote}`,
      `${count} hosts, ${COMMANDS} commands: fab runs a task of ${COMMANDS} run() calls per host over its one connection; ` +
        `xargs runs ${COMMANDS} ssh per host with ControlMaster auto (the first is the master, the others multiplexed over it); ` +
        `Ansible (${COMMANDS} tasks of a play on ${count} hosts), parallel-ssh (${COMMANDS} calls, each ${count} new connections) ` +
        `and Python Fabric (ThreadingGroup.run ${COMMANDS} times; no target) are not run: at their \`true\` cost above they ` +
        'would take longer than the whole bench may (15 minutes).',
    ],
  };
}
