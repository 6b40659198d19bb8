// Start-up: `fab -l` on the repository's fabfile.example.ts vs Python Fabric's `fab --list` on its Python twin.
// The fabfile sits once in a project without a package.json (tsx loads a .ts file there as CommonJS) and once in a
// "type": "module" package (loaded as an ES module).
import { compare, runs, wall, type BenchContext, type FigureResult } from '../context.ts';
import { fab, PYTHON } from '../fixtures.ts';
import { interleave, measure } from '../harness.ts';
import type { Row } from '../report.ts';

const TARGET = '<= 1.0x Python fab';

function listed(stdout: string, tool: string): void {
  if (!['info', 'upload', 'logs', 'deploy'].every((name) => stdout.includes(name))) throw new Error(`${tool} did not list the example's tasks:\n${stdout}`);
}

export async function startup(ctx: BenchContext): Promise<FigureResult> {
  const { fx } = ctx;
  const listIn = (cwd: string) => async () => {
    const sample = await measure({ argv: fab('-l'), cwd, env: fx.env });
    listed(sample.stdout, 'fab -l');
    return sample;
  };
  const samples = await interleave(
    {
      plain: listIn(fx.projects.plain),
      module: listIn(fx.projects.module),
      python: ctx.python
        ? async () => {
            const sample = await measure({ argv: [PYTHON, '-m', 'fabric', '--list'], cwd: fx.projects.plain, env: fx.env });
            listed(sample.stdout, 'python3 -m fabric --list');
            return sample;
          }
        : undefined,
    },
    runs(ctx, 15),
  );
  const row = (figure: string, fabts: typeof samples.plain): Row => {
    const values = compare({ fabts, ...(samples.python ? { python: samples.python } : {}) }, wall);
    return { section: 'Start-up', figure, unit: 'ms', ...values, target: TARGET, ...(values.ratioPython !== undefined ? { met: values.ratioPython <= 1.0 } : {}) };
  };
  return {
    rows: [
      row('`fab -l`, fabfile.ts in a project without package.json', samples.plain),
      row('`fab -l`, fabfile.ts in a "type": "module" package', samples.module),
    ],
    notes: [
      'Start-up: `npm run build` bundles the CLI and the public API (scripts/bundle.mjs; ~95 ES modules otherwise); `fab` loads ' +
        'the fabfile through require() when it can (no module hooks thread, for listing and for running tasks alike: tsx\'s import ' +
        'hooks come only for code that imports dynamically), and yargs, cosmiconfig, ssh2 and ssh_config only when needed; V8\'s ' +
        'optimizing compiler stays off for a fab\'s first 10 s (src/cli/jit.ts).',
    ],
  };
}
