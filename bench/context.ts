// What every figure gets, and what it gives back.
import { ANCHOR_LABELS, type AnchorName, type Anchors } from './anchors.ts';
import type { Fixtures } from './fixtures.ts';
import { median, pairedRatio, type Sample } from './harness.ts';
import type { AnchorCell, Check, Row } from './report.ts';

export interface BenchContext {
  fx: Fixtures;
  /** Python Fabric importable: its variants run, else they are left out. */
  python: boolean;
  /** Ansible, parallel-ssh, pyinfra: which could be installed (the others' cells say why not). */
  anchors: Anchors;
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

export type AnchorSamples = Partial<Record<AnchorName, Sample[]>>;

/** interleave()'s `failures` for the variants that may fail without costing the figure. */
export type AnchorFailures = Partial<Record<AnchorName | 'python' | 'openssh', string>>;

/**
 * The anchors' cells of a row: each one's median and fabts ÷ it (round by round), 'not available' when it could not
 * be installed, or `notRun` (why: 'not run: ...', 'failed: ...') when it has no figure. A run stopped at its cap is a lower bound: its cell
 * says so, and fabts ÷ it is then an upper bound.
 */
export function anchorCells(
  ctx: BenchContext,
  fabts: Sample[],
  samples: AnchorSamples,
  metric: (sample: Sample) => number,
  notRun: Partial<Record<AnchorName, string>> = {},
): Partial<Record<AnchorName, AnchorCell>> {
  const cells: Partial<Record<AnchorName, AnchorCell>> = {};
  for (const name of Object.keys(ANCHOR_LABELS) as AnchorName[]) {
    const list = samples[name];
    if (!ctx.anchors[name].available) cells[name] = { text: 'not available' };
    else if (list?.length) {
      const capped = list.some((sample) => sample.capped);
      cells[name] = { value: median(list.map(metric)), ratio: pairedRatio(fabts.map(metric), list.map(metric)), ...(capped ? { text: 'at least (stopped)' } : {}) };
    } else cells[name] = { text: notRun[name] ?? 'not run' };
  }
  return cells;
}

/** `<= LIMITx TOOL`, when fabts' ratio to that tool has a figure in this row (the tool may have failed). */
export function ratioCheck(ratio: number | undefined, limit: number, tool: string): Check[] {
  return ratio === undefined || Number.isNaN(ratio) ? [] : [{ label: `<= ${limit}x ${tool}`, met: ratio <= limit }];
}

/** `<= LIMITx ANCHOR`, when that anchor has a figure in this row. */
export function anchorCheck(cells: Partial<Record<AnchorName, AnchorCell>>, name: AnchorName, limit: number): Check[] {
  return ratioCheck(cells[name]?.ratio, limit, ANCHOR_LABELS[name]);
}

export const rssMiB = (sample: Sample): number => (sample.maxRssKiB ?? NaN) / 1024;

/** The cells' reasons for anchors that failed in this figure. */
export function failedCells(failures: Partial<Record<string, string>>): Partial<Record<AnchorName, string>> {
  return Object.fromEntries(Object.entries(failures).filter(([, why]) => why !== undefined).map(([name, why]) => [name, `failed: ${why}`]));
}

/**
 * A cap for a slow tool's run: `factor` times fabts' last wall time in the same round, within [floorMs, ceilingMs]
 * (the whole bench must stay within 15 minutes). A run stopped at factor x fabts still decides a `<= 1/factor`
 * target: fabts' ratio to it is at most that.
 */
export function capAfter(lastFabtsWallMs: () => number, factor: number, floorMs: number, ceilingMs = Infinity): () => number {
  return () => Math.min(ceilingMs, Math.max(floorMs, factor * lastFabtsWallMs()));
}
