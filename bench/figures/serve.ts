// fab serve: POST to the first remote output, SSE delivery lag with 100 watchers, history listing over 10,000 runs.
import fs from 'node:fs';
import path from 'node:path';
import { Store } from '../../src/serve/store.ts';
import { followSse, postJson, startServe } from '../../test/support/serve.ts';
import { runs, type BenchContext, type FigureResult } from '../context.ts';
import { median } from '../harness.ts';

const FABFILE = `
import { task, run } from 'fabts';
export const hello = task(async () => { await run('echo started'); });
export const ticks = task(async ({ n = '40' }) => { await run(\`for i in $(seq 1 \${n}); do echo tick $i; sleep 0.05; done\`); });
`;

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

/** 10,000 finished runs over 20 hosts, written straight into the store the server will open. */
function fillHistory(data: string, count: number): void {
  const store = new Store(data);
  store.db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const host = `h${i % 20}`;
      const run = store.createRun({ tasks: [{ name: i % 3 ? 'hello' : 'ticks' }], hosts: [host] }, [host], { name: 'bench', role: 'run' }, undefined, Date.now() - (count - i) * 1000);
      store.planHost(run.id, 1, 'hello', host);
      const failed = i % 7 === 0;
      store.hostStatus(run.id, 1, host, failed ? 'failed' : 'ok', 100);
      store.markFinished(run.id, failed ? 'failed' : 'ok', failed ? 1 : 0, null, null);
    }
  })();
  store.close();
}

export async function serve(ctx: BenchContext): Promise<FigureResult> {
  const { fx } = ctx;
  const dir = path.join(fx.dir, 'serve-project');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'fabfile.ts'), FABFILE);
  const data = path.join(dir, 'data');
  fillHistory(data, ctx.quick ? 1000 : 10_000);
  const server = await startServe(dir, ['-F', fx.tb.sshConfigPath], ['--data', data, '--keep-runs', '100000'], fx.env as Record<string, string>);
  try {
    // POST -> the first line the remote command printed, as a client following the run sees it.
    const firstOutput: number[] = [];
    for (let i = 0; i < runs(ctx, 9); i++) {
      const started = performance.now();
      const response = await postJson(`${server.url}/api/runs`, { tasks: [{ name: 'hello' }], hosts: ['direct'] });
      const { id } = (await response.json()) as { id: number };
      let seen = 0;
      await followSse(`${server.url}/api/runs/${id}/events`, {}, (message) => {
        if (seen === 0 && /"kind":"output"/.test(message.data)) seen = performance.now() - started;
        return false;
      });
      firstOutput.push(seen);
    }

    // Watchers of one run printing a line every 50 ms: lag = arrival at a watcher - the event's own time (the child's
    // clock, the same machine). One watcher gives the floor (pipe, SQLite, SSE); 100 show what the fan-out adds.
    const lagsFor = async (watchers: number) => {
      const { id } = (await (await postJson(`${server.url}/api/runs`, { tasks: [{ name: 'ticks', args: { n: '40' } }], hosts: ['direct'] })).json()) as { id: number };
      const lags: number[] = [];
      await Promise.all(
        Array.from({ length: watchers }, () =>
          followSse(`${server.url}/api/runs/${id}/events`, {}, (message) => {
            const event = JSON.parse(message.data) as { kind?: string; time?: string };
            if (event.kind === 'output' && event.time) lags.push(Date.now() - Date.parse(event.time));
            return false;
          }),
        ),
      );
      return lags;
    };
    const single = await lagsFor(1);
    const watchers = ctx.quick ? 10 : 100;
    const lags = await lagsFor(watchers);

    // History: the first page, a filtered one, and one deep in the past, each timed as a client sees it.
    const timed = async (url: string) => {
      const times: number[] = [];
      for (let i = 0; i < runs(ctx, 21); i++) {
        const started = performance.now();
        const response = await fetch(`${server.url}${url}`);
        await response.arrayBuffer();
        times.push(performance.now() - started);
      }
      return median(times);
    };
    const first = await timed('/api/runs?limit=50');
    const filtered = await timed('/api/runs?host=h7&state=failed&limit=50');
    const deep = await timed('/api/runs?before=200&limit=50');
    const section = 'fab serve';
    const lagP50 = percentile(lags, 50);
    const lagP99 = percentile(lags, 99);
    const history = Math.max(first, filtered, deep);
    return {
      rows: [
        { section, figure: 'SSE delivery lag, 1 watcher: median', unit: 'ms', fabts: percentile(single, 50) },
        { section, figure: 'POST /api/runs -> first remote output at the client (new connection)', unit: 'ms', fabts: median(firstOutput) },
        { section, figure: `SSE delivery lag, ${watchers} watchers: median`, unit: 'ms', fabts: lagP50, target: '<= 50 ms', met: lagP50 <= 50 },
        { section, figure: `SSE delivery lag, ${watchers} watchers: p99`, unit: 'ms', fabts: lagP99, target: '<= 250 ms', met: lagP99 <= 250 },
        { section, figure: `history page over ${ctx.quick ? '1,000' : '10,000'} runs (slowest of: first page, host+state filter, deep page)`, unit: 'ms', fabts: history, target: '<= 50 ms', met: history <= 50 },
      ],
      notes: [
        `fab serve: POST to first output includes starting a child fab (Node.js start-up, loading the fabfile) and a new SSH connection; ` +
          `history pages: first ${first.toFixed(1)} ms, filtered ${filtered.toFixed(1)} ms, deep ${deep.toFixed(1)} ms.`,
      ],
    };
  } finally {
    await server.stop();
  }
}
