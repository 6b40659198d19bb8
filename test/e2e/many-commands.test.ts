// Fault 6, second half: 10,000 commands one after the other on one connection, with memory that stays flat.
// In its own file so that test/run.ts can run it in the side lane, beside the other tests: it spends two minutes
// waiting for sshd to fork and exec a session per command, and touches nothing the other tests use.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { before, describe, test } from 'node:test';
import { FAB_BIN, collectRun, makeProject } from '../support/fab.ts';
import { loadTestbed } from '../support/remote.ts';

const tb = loadTestbed();

const FABFILE = `
import { run, task } from 'fabts';

/** count commands, one after the other; heap and RSS after a full GC at 1,000 and at the end. */
export const many = task(async ({ count = '10000' }) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run node with --expose-gc');
  const sample = () => { gc(); gc(); const { heapUsed, rss } = process.memoryUsage(); return { heapUsed, rss }; };
  const marks: Record<string, { heapUsed: number; rss: number }> = {};
  for (let i = 1; i <= Number(count); i++) {
    await run('true');
    if (i === 1000 || i === Number(count)) marks[i] = sample();
  }
  console.log('MEMORY ' + JSON.stringify(marks));
});
`;

let project: string;
before(() => {
  project = makeProject({ 'fabfile.ts': FABFILE });
});

describe('fault 6: many commands', () => {
  test('10,000 commands one after the other on one connection: heap and RSS stay flat between 1,000 and 10,000', async (t) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--expose-gc', FAB_BIN, '-F', tb.sshConfigPath, '-H', 'direct', '--hide', 'running,stdout', 'many:count=10000'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // What is measured is memory; sshd's fork and exec per session set the pace (3 ms a command on a quiet machine,
    // 10-14 on a busy one), hence the generous limit.
    const { code, stdout, stderr } = await collectRun(child, 280_000);
    assert.equal(code, 0, stderr);
    const marks = JSON.parse(/^MEMORY (.*)$/m.exec(stdout)![1]!) as Record<string, { heapUsed: number; rss: number }>;
    const MiB = 1024 * 1024;
    const heapGrowth = marks['10000']!.heapUsed - marks['1000']!.heapUsed;
    const rssGrowth = marks['10000']!.rss - marks['1000']!.rss;
    t.diagnostic(`10,000 commands in ${Date.now() - started} ms; from 1,000 to 10,000: heap ${(heapGrowth / MiB).toFixed(2)} MiB, RSS ${(rssGrowth / MiB).toFixed(2)} MiB`);
    // The run record keeps one small entry per command (for the summary and --json): well under 1 KiB each.
    assert.ok(heapGrowth < 9000 * 1024, `heap grew ${(heapGrowth / MiB).toFixed(1)} MiB over 9,000 commands`);
    assert.ok(rssGrowth < 40 * MiB, `RSS grew ${(rssGrowth / MiB).toFixed(1)} MiB over 9,000 commands`);
  });
});
