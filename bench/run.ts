// `npm run bench`: brings the test bed up, measures fabts against OpenSSH and Python Fabric 2, tears the test bed
// down, prints the table and writes it to bench/RESULTS.md.
//
//   npm run bench                      every figure (needs root: the test bed does)
//   npm run bench -- --only startup,fanout      some figures (RESULTS.md is then left alone)
//   npm run bench -- --quick           2 runs each, 50 connections for memory: checks the bench, not figures to quote
//
// With FABTS_TESTBED set (test/hosts/up.ts running), that test bed is used and left up.
import fs from 'node:fs';
import path from 'node:path';
import { loadTestbed, startTestbed, stopTestbedSync, type Testbed } from '../test/hosts/testbed.ts';
import type { BenchContext, Figure } from './context.ts';
import { BENCH_DIR, FAB_BIN, makeFixtures, removeFixtures, type Fixtures } from './fixtures.ts';
import { loadAverage, machineNotes } from './machine.ts';
import { ensurePythonFabric } from './python.ts';
import { ANCHOR_LABELS, ensureAnchors, type AnchorName } from './anchors.ts';
import { renderReport, renderTable, type Row } from './report.ts';
import { startup } from './figures/startup.ts';
import { oneCommand } from './figures/one-command.ts';
import { perCommand } from './figures/per-command.ts';
import { fanout } from './figures/fanout.ts';
import { thousand } from './figures/thousand.ts';
import { bastion } from './figures/bastion.ts';
import { sftp } from './figures/sftp.ts';
import { memory } from './figures/memory.ts';
import { serve } from './figures/serve.ts';

const FIGURES: Record<string, Figure> = { startup, oneCommand, perCommand, fanout, thousand, bastion, sftp, memory, serve };

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : undefined;
const unknown = only?.filter((name) => !(name in FIGURES)) ?? [];
if (unknown.length) {
  process.stderr.write(`bench: no figure ${unknown.join(', ')}; figures: ${Object.keys(FIGURES).join(', ')}\n`);
  process.exit(2);
}
const log = (line: string) => process.stderr.write(`${line}\n`);

if (!fs.existsSync(FAB_BIN)) {
  log(`bench: ${FAB_BIN} is missing: run \`npm run build\` (npm run bench does)`);
  process.exit(2);
}

const started = performance.now();
const python = ensurePythonFabric(log);
if (!python.available) log(`bench: Python Fabric ${python.description}; its column stays empty`);
const anchors = ensureAnchors(log);
const machine = machineNotes(python.description);
machine.anchors = (Object.keys(ANCHOR_LABELS) as AnchorName[]).map((name) => `${ANCHOR_LABELS[name]}: ${anchors[name].description}`);

let tb: Testbed | undefined;
let ownTestbed = false;
let fixtures: Fixtures | undefined;
const cleanup = () => {
  if (fixtures) removeFixtures(fixtures);
  fixtures = undefined;
  if (tb && ownTestbed) stopTestbedSync(tb);
  tb = undefined;
};
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(signal, () => {
    log(`bench: stopped by ${signal}`);
    process.exit(130);
  });

const rows: Row[] = [];
const notes: string[] = [];
let failed = false;
try {
  if (process.env.FABTS_TESTBED) {
    tb = loadTestbed();
    log(`bench: using the test bed already up (${tb.statePath})`);
  } else {
    ownTestbed = true;
    tb = await startTestbed();
    log(`bench: test bed up (${tb.dir})`);
  }
  fixtures = await makeFixtures(tb);
  const ctx: BenchContext = { fx: fixtures, python: python.available, anchors, quick, log };
  for (const [name, figure] of Object.entries(FIGURES)) {
    if (only && !only.includes(name)) continue;
    const t0 = performance.now();
    log(`bench: ${name} ...`);
    try {
      const result = await figure(ctx);
      rows.push(...result.rows);
      notes.push(...result.notes);
      // As each figure ends: a run stopped later (or too slow on a loaded machine) still leaves what it measured.
      log(`${renderTable(result.rows)}\n${result.notes.map((note) => `- ${note}`).join('\n')}`);
    } catch (error) {
      // One broken figure must not cost the others: say so in the table and go on.
      failed = true;
      log(`bench: ${name} failed: ${(error as Error).stack ?? error}`);
      notes.push(`${name} FAILED in this run: ${String((error as Error).message).split('\n')[0]}`);
    }
    log(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
} finally {
  cleanup();
}

machine.loadAfter = loadAverage();
const text = renderReport({ machine, rows, notes, durationS: (performance.now() - started) / 1000 });
process.stdout.write(`\n${text}`);
if (!only && !quick) {
  fs.writeFileSync(path.join(BENCH_DIR, 'RESULTS.md'), text);
  log('bench: wrote bench/RESULTS.md');
}
process.exitCode = failed ? 1 : 0;
