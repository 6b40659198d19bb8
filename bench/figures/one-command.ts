// One command on one host over a new connection: `fab -H direct -- true` vs `ssh direct true` vs Fabric's Connection.run,
// and `node -e 0` beside them: Node.js starting and exiting with nothing to do, the floor under any fab's CPU.
import { compare, cpu, runs, wall, type BenchContext, type FigureResult } from '../context.ts';
import { fab, python } from '../fixtures.ts';
import { interleave, measure, pairedRatio, median } from '../harness.ts';

export async function oneCommand(ctx: BenchContext): Promise<FigureResult> {
  const { fx } = ctx;
  const config = fx.tb.sshConfigPath;
  const env = fx.env;
  const samples = await interleave(
    {
      fabts: () => measure({ argv: fab('-F', config, '-H', 'direct', '--', 'true'), cwd: fx.dir, env }),
      openssh: () => measure({ argv: ['ssh', '-F', config, 'direct', 'true'], cwd: fx.dir, env }),
      python: ctx.python ? () => measure({ argv: python('one.py', config, 'direct'), cwd: fx.dir, env }) : undefined,
      node: () => measure({ argv: [process.execPath, '-e', '0'], cwd: fx.dir, env }),
    },
    runs(ctx, 9),
  );
  const walls = compare(samples, wall);
  const cpus = compare(samples, cpu);
  const nodeCpu = samples.node.map(cpu);
  const sshCpu = samples.openssh.map(cpu);
  const floor = { fabts: median(nodeCpu), openssh: median(sshCpu), ratioOpenssh: pairedRatio(nodeCpu, sshCpu) };
  const section = 'One command, new connection';
  return {
    rows: [
      { section, figure: '`true` on one host: wall', unit: 'ms', ...walls, target: '<= 1.0x ssh', met: walls.ratioOpenssh! <= 1.0 },
      { section, figure: '`true` on one host: client CPU', unit: 'ms', ...cpus, target: '<= 1.0x ssh', met: cpus.ratioOpenssh! <= 1.0 },
      { section, figure: '`node -e 0` (Node.js alone, no fab): client CPU, in the fabts column', unit: 'ms', ...floor },
    ],
    notes: [
      `One command: the wall time is mostly sshd's (fork, re-exec, key check, PAM session, login shell). fab uses ` +
        `${(cpus.fabts! - cpus.openssh!).toFixed(0)} ms more client CPU than ssh; Node.js alone (\`node -e 0\`, the same ` +
        `binary, nothing loaded) costs ${floor.fabts.toFixed(0)} ms, ${floor.ratioOpenssh.toFixed(2)}x ssh's whole command: ` +
        `fab's own share (its modules, ssh2, the key exchange and the session) is the other ${(cpus.fabts! - floor.fabts).toFixed(0)} ms. ` +
        'A CPU target of 1.0x ssh is out of reach for any Node.js program whose bare start-up is near or above ssh\'s whole run ' +
        '(docs/performance.md, "One command").',
    ],
  };
}
