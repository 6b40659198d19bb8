// What every figure gets, and what it gives back.
import type { Fixtures } from './fixtures.ts';
import { median, pairedRatio, type Sample } from './harness.ts';
import type { Row } from './report.ts';

export interface BenchContext {
  fx: Fixtures;
  /** Python Fabric importable: its variants run, else they are left out. */
  python: boolean;
  /** Fewer runs (a smoke test of the bench itself, not figures to quote). */
  quick: boolean;
  log: (line: string) => void;
}

export interface FigureResult {
  rows: Row[];
  notes: string[];
}

export type Figure = (ctx: BenchContext) => Promise<FigureResult>;

/** Runs for a figure: the given count, or 2 in quick mode. */
export function runs(ctx: BenchContext, count: number): number {
  return ctx.quick ? Math.min(count, 2) : count;
}

/** Medians of one metric per tool, and fabts' ratios to the others taken round by round. */
export function compare(
  samples: { fabts: Sample[]; openssh?: Sample[]; python?: Sample[] },
  metric: (sample: Sample) => number,
): Pick<Row, 'fabts' | 'openssh' | 'python' | 'ratioOpenssh' | 'ratioPython'> {
  const values = (list: Sample[] | undefined) => (list?.length ? list.map(metric) : undefined);
  const fabts = values(samples.fabts)!;
  const openssh = values(samples.openssh);
  const python = values(samples.python);
  return {
    fabts: median(fabts),
    ...(openssh ? { openssh: median(openssh), ratioOpenssh: pairedRatio(fabts, openssh) } : {}),
    ...(python ? { python: median(python), ratioPython: pairedRatio(fabts, python) } : {}),
  };
}

export const wall = (sample: Sample): number => sample.wallMs;
export const cpu = (sample: Sample): number => sample.cpuMs;
