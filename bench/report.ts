// The results table: one row per figure, the three tools side by side, ratios (fabts ÷ other, the median of
// round-by-round ratios), the target and whether this run met it. Rendered as Markdown for the terminal and RESULTS.md.
import { ANCHOR_LABELS, type AnchorName } from './anchors.ts';
import type { MachineNotes } from './machine.ts';

export type Unit = 'ms' | 's' | 'KiB' | 'MiB' | 'conn' | 'MiB/s';

export interface Row {
  section: string;
  figure: string;
  unit: Unit;
  fabts?: number;
  openssh?: number;
  python?: number;
  /** fabts ÷ OpenSSH and fabts ÷ Python, computed pair by pair over interleaved runs. */
  ratioOpenssh?: number;
  ratioPython?: number;
  target?: string;
  met?: boolean;
  /** Why a cell is empty, or what the figure means. */
  note?: string;
  /** Not measured in this run: the reason (e.g. the feature is not on main yet). */
  pending?: string;
  /** Ansible, parallel-ssh, pyinfra: their figure and fabts ÷ it, or why there is none ('not available', 'not run'). */
  anchors?: Partial<Record<AnchorName, AnchorCell>>;
  /** Several targets on one figure (each counted on its own): the row is met when all are. */
  checks?: Check[];
}

export interface AnchorCell {
  value?: number;
  ratio?: number;
  /** Shown instead of a figure, or after it (e.g. 'at least: stopped after 120 s'). */
  text?: string;
}

export interface Check {
  /** '<= 0.2x Ansible' */
  label: string;
  met: boolean;
}

/** A row's targets, one per check (a row with `target` and `met` alone is one). */
export function targetsOf(row: Row): Check[] {
  if (row.pending || !row.target) return [];
  if (row.checks) return row.checks;
  return row.met === undefined ? [] : [{ label: row.target, met: row.met }];
}

export interface Report {
  machine: MachineNotes;
  rows: Row[];
  /** Lines for the notes below the table: what limits the figures that miss. */
  notes: string[];
  durationS: number;
}

function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  const digits = unit === 'conn' ? 0 : Math.abs(value) < 10 ? 2 : Math.abs(value) < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${unit}`;
}

function formatRatio(ratio: number | undefined): string {
  return ratio === undefined || Number.isNaN(ratio) ? '–' : `${ratio.toFixed(2)}x`;
}

function verdict(row: Row): string {
  if (row.pending) return 'pending';
  if (row.checks) {
    const missed = row.checks.filter((check) => !check.met);
    return missed.length ? `**missed**: ${missed.map((check) => check.label).join(', ')}` : 'met';
  }
  if (row.met === undefined) return row.target ? '?' : '';
  return row.met ? 'met' : '**missed**';
}

function formatAnchor(cell: AnchorCell | undefined, unit: Unit): string {
  if (!cell) return '–';
  if (cell.value === undefined) return cell.text ?? '–';
  const ratio = cell.ratio === undefined || Number.isNaN(cell.ratio) ? '' : ` (${formatRatio(cell.ratio)})`;
  return `${formatValue(cell.value, unit)}${ratio}${cell.text ? ` ${cell.text}` : ''}`;
}

const ANCHORS = Object.keys(ANCHOR_LABELS) as AnchorName[];

export function renderTable(rows: Row[]): string {
  const header = ['Figure', 'fabts', 'OpenSSH', 'Python Fabric', ...ANCHORS.map((name) => `${ANCHOR_LABELS[name]} (fabts ÷ it)`), 'fabts ÷ OpenSSH', 'fabts ÷ Python', 'Target', 'Met'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  let section = '';
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      lines.push(`| **${section}** |${' |'.repeat(header.length - 1)}`);
    }
    const cells = row.pending
      ? [row.figure, `pending: ${row.pending}`, '', '', ...ANCHORS.map(() => ''), '', '', row.target ?? '', verdict(row)]
      : [
          row.note ? `${row.figure} (${row.note})` : row.figure,
          formatValue(row.fabts, row.unit),
          formatValue(row.openssh, row.unit),
          formatValue(row.python, row.unit),
          ...ANCHORS.map((name) => formatAnchor(row.anchors?.[name], row.unit)),
          formatRatio(row.ratioOpenssh),
          formatRatio(row.ratioPython),
          row.target ?? '',
          verdict(row),
        ];
    lines.push(`| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return lines.join('\n');
}

export function renderReport(report: Report): string {
  const m = report.machine;
  const targets = report.rows.flatMap((row) => targetsOf(row).map((check) => ({ row, check })));
  const missed = targets.filter(({ check }) => !check.met);
  return [
    '# fabts benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${m.date}; the whole run took ${report.durationS.toFixed(0)} s.`,
    'Medians of interleaved runs (A B A B ...); ratios are fabts ÷ the other tool, the median of the round-by-round ratios.',
    'Lower is better for every figure but throughput (MiB/s). All hosts are OpenSSH sshd on this same machine, logged in as the test user: those of the test bed, and for the fan-out, 1,000-host and memory figures the fleet sshd of the bench (UsePAM no; docs/benchmark.md).',
    '',
    '## Machine',
    '',
    `- ${m.cpus} × ${m.cpuModel}; load average ${m.loadBefore} before, ${m.loadAfter} after (other agents share the machine: absolute figures are noisy, the interleaved ratios less so)`,
    `- ${m.memory}; ${m.os}`,
    `- Node.js ${m.node}; ssh2 ${m.ssh2} with its native crypto addon ${m.ssh2Native ? 'built (bindingAvailable = true)' : '**not built** (bindingAvailable = false: pure-JS ciphers)'}`,
    `- ${m.openssh}; Python Fabric: ${m.pythonFabric}`,
    ...(m.anchors ?? []).map((line) => `- ${line}`),
    '',
    '## Figures',
    '',
    renderTable(report.rows),
    '',
    `Targets met: ${targets.length - missed.length} of ${targets.length}${missed.length ? `; missed: ${missed.map(({ row, check }) => `${row.section} / ${row.figure}: ${check.label}`).join('; ')}` : ''}.`,
    '',
    '## Notes',
    '',
    ...report.notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
}
