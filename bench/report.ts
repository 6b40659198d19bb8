// The results table: one row per figure, the three tools side by side, ratios (fabts ÷ other, the median of
// round-by-round ratios), the target and whether this run met it. Rendered as Markdown for the terminal and RESULTS.md.
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
  if (row.met === undefined) return row.target ? '?' : '';
  return row.met ? 'met' : '**missed**';
}

export function renderTable(rows: Row[]): string {
  const header = ['Figure', 'fabts', 'OpenSSH', 'Python Fabric', 'fabts ÷ OpenSSH', 'fabts ÷ Python', 'Target', 'Met'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  let section = '';
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      lines.push(`| **${section}** |${' |'.repeat(header.length - 1)}`);
    }
    const cells = row.pending
      ? [row.figure, `pending: ${row.pending}`, '', '', '', '', row.target ?? '', verdict(row)]
      : [
          row.note ? `${row.figure} (${row.note})` : row.figure,
          formatValue(row.fabts, row.unit),
          formatValue(row.openssh, row.unit),
          formatValue(row.python, row.unit),
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
  const targets = report.rows.filter((row) => row.target && !row.pending);
  const missed = targets.filter((row) => row.met === false);
  return [
    '# fabts benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${m.date}; the whole run took ${report.durationS.toFixed(0)} s.`,
    'Medians of interleaved runs (A B A B ...); ratios are fabts ÷ the other tool, the median of the round-by-round ratios.',
    'Lower is better for every figure but throughput (MiB/s). All hosts are OpenSSH sshd on this same machine (the test bed), logged in as the test user.',
    '',
    '## Machine',
    '',
    `- ${m.cpus} × ${m.cpuModel}; load average ${m.loadBefore} before, ${m.loadAfter} after (other agents share the machine: absolute figures are noisy, the interleaved ratios less so)`,
    `- ${m.memory}; ${m.os}`,
    `- Node.js ${m.node}; ssh2 ${m.ssh2} with its native crypto addon ${m.ssh2Native ? 'built (bindingAvailable = true)' : '**not built** (bindingAvailable = false: pure-JS ciphers)'}`,
    `- ${m.openssh}; Python Fabric: ${m.pythonFabric}`,
    '',
    '## Figures',
    '',
    renderTable(report.rows),
    '',
    `Targets met: ${targets.length - missed.length} of ${targets.length}${missed.length ? `; missed: ${missed.map((row) => `${row.section} / ${row.figure}`).join('; ')}` : ''}.`,
    '',
    '## Notes',
    '',
    ...report.notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
}
