// One command on one host over a new connection: `fab -H direct -- true` vs `ssh direct true` vs Fabric's Connection.run.
import { compare, cpu, runs, wall, type BenchContext, type FigureResult } from '../context.ts';
import { fab, python } from '../fixtures.ts';
import { interleave, measure } from '../harness.ts';

export async function oneCommand(ctx: BenchContext): Promise<FigureResult> {
  const { fx } = ctx;
  const config = fx.tb.sshConfigPath;
  const env = fx.env;
  const samples = await interleave(
    {
      fabts: () => measure({ argv: fab('-F', config, '-H', 'direct', '--', 'true'), cwd: fx.dir, env }),
      openssh: () => measure({ argv: ['ssh', '-F', config, 'direct', 'true'], cwd: fx.dir, env }),
      python: ctx.python ? () => measure({ argv: python('one.py', config, 'direct'), cwd: fx.dir, env }) : undefined,
    },
    runs(ctx, 11),
  );
  const walls = compare(samples, wall);
  const cpus = compare(samples, cpu);
  return {
    rows: [
      { section: 'One command, new connection', figure: '`true` on one host: wall', unit: 'ms', ...walls, target: '<= 1.0x ssh', met: walls.ratioOpenssh! <= 1.0 },
      { section: 'One command, new connection', figure: '`true` on one host: client CPU', unit: 'ms', ...cpus },
    ],
    notes: [
      `One command: the wall time is mostly sshd's (fork, re-exec, key check, PAM session, login shell); fab uses ` +
        `${(cpus.fabts! - cpus.openssh!).toFixed(0)} ms more client CPU than ssh (Node.js start-up, ssh2), which fits inside the ` +
        'time ssh spends on its post-quantum key exchange (sntrup761x25519; ssh2 negotiates curve25519).',
    ],
  };
}
