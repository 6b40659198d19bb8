// The page's server-rendered views and its browser modules in real headless Chromium, served with the page's own
// headers (CSP) and its built assets by a plain HTTP server: what a host prints stays text, 200 lanes and 100,000
// lines keep the DOM capped, lanes work from the keyboard, light and dark follow the system.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadAssets } from '../../src/serve/page/assets.ts';
import { applyEvent, newBoard, type WireEvent } from '../../src/serve/page/model/lanes.ts';
import { PAGE_HEADERS } from '../../src/serve/page/views/layout.ts';
import { runPage } from '../../src/serve/page/views/run.ts';
import { newContext, screenshot } from './browser.ts';

// Code inside page.evaluate() runs in the browser; this file is compiled without the DOM's types (so is all of fabts
// but the page's own client modules), hence these local stand-ins.
declare const document: any;
declare const window: { pwned?: number };
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const pages = new Map<string, string>();
let server: http.Server;
let base: string;

before(async () => {
  const assets = loadAssets();
  assert.ok(assets.size > 0, 'the page assets are built (npm run build)');
  server = http.createServer((request, response) => {
    const url = request.url ?? '/';
    const asset = url.startsWith('/assets/') ? assets.get(url.slice('/assets/'.length)) : undefined;
    if (asset) return response.writeHead(200, { 'content-type': asset.type }).end(asset.body);
    const html = pages.get(url);
    if (html) return response.writeHead(200, PAGE_HEADERS).end(html);
    // The live page's event stream: nothing in this file follows a run, so it stays open and quiet.
    if (url.includes('/events')) return response.writeHead(200, { 'content-type': 'text/event-stream' }).write(': idle\n\n');
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

function board(hosts: string[], perHost: (host: string) => string[], ended = true) {
  const b = newBoard();
  let seq = 0;
  const t0 = Date.parse('2026-12-06T08:00:00Z');
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const apply = (event: WireEvent) => applyEvent(b, { seq: ++seq, ...event }, 0);
  apply({ kind: 'run-start', tasks: ['deploy'], time: at(0) });
  apply({ kind: 'task-plan', task: 'deploy', invocation: 1, hosts, concurrency: hosts.length, time: at(0) });
  hosts.forEach((host, i) => {
    apply({ kind: 'task-start', task: 'deploy', invocation: 1, host, time: at(10) });
    apply({ kind: 'command', host, runner: 'run', command: 'tar xzf /tmp/app.tgz && ./restart', hidden: false, time: at(20) });
    for (const text of perHost(host)) apply({ kind: 'output', host, stream: 'stdout', text, hidden: false, time: at(30) });
    if (ended) apply({ kind: 'task-end', task: 'deploy', invocation: 1, host, status: i === 1 ? 'failed' : 'ok', ok: i !== 1, error: 'exit code 3', durationMs: 1200 + i * 300, time: at(1210 + i * 300) });
  });
  if (ended) apply({ kind: 'run-end', exitCode: 1, time: at(2000) });
  return b;
}

const RUN = { id: 7, state: 'failed', tasks: [{ name: 'deploy', args: { branch: 'main' } }], startedBy: 'page', startedAt: '2026-12-06T08:00:00Z', endedAt: '2026-12-06T08:00:02Z' };

describe('the web page in a real browser (views and modules)', () => {
  it('shows what a host prints, <script> included, as text: nothing runs, the CSP reports nothing', async () => {
    const hostile = '<script>window.pwned = 1</script>\n<img src=x onerror="window.pwned = 2">\n';
    pages.set('/runs/7', runPage({ title: 'Run 7', csrf: 'x', canRun: true }, RUN, board(['web1', 'web2'], () => [`deploying\n`, hostile, 'done\n'])));
    const { context, page, errors } = await newContext();
    await page.goto(`${base}/runs/7`);
    const output = await page.locator('#lane-1\\/web1 pre.output').textContent();
    assert.ok(output?.includes('<script>window.pwned = 1</script>'), output ?? '');
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.equal(await page.locator('#lane-1\\/web1 img, #lane-1\\/web1 script').count(), 0);
    assert.match((await page.locator('#lane-1\\/web2 summary').textContent()) ?? '', /✗\s*failed\s*web2/);
    assert.match((await page.locator('#summary').textContent()) ?? '', /exit code 1/);
    // A script injected into the page's own markup would be blocked by the CSP (no inline script), and say so.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.pwned = 3';
      document.body.append(s);
    });
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.ok(errors.some((e) => /Content Security Policy/.test(e)), errors.join('\n'));
    await screenshot(page, 'run-failed-light');
    await context.close();
  });

  it('keeps the DOM capped while 200 hosts print 100,000 lines through the page\'s own modules', async () => {
    const hosts = Array.from({ length: 200 }, (_, i) => `host${String(i).padStart(3, '0')}`);
    pages.set('/runs/8', runPage({ title: 'Run 8', csrf: 'x', canRun: true }, { ...RUN, id: 8, state: 'running' }, board(hosts, () => [], false)));
    const { context, page, errors } = await newContext();
    await page.goto(`${base}/runs/8`);
    const result = await page.evaluate(async (hostNames) => {
      const { applyEvent } = (await import('/assets/model/lanes.js' as string)) as typeof import('../../src/serve/page/model/lanes.ts');
      const { boardView } = (await import('/assets/model/run-view.js' as string)) as typeof import('../../src/serve/page/model/run-view.ts');
      const { patch } = (await import('/assets/client/dom.js' as string)) as { patch: (dom: unknown, node: unknown) => unknown };
      const data = JSON.parse(document.getElementById('board-data').dataset.json);
      const root = document.getElementById('board');
      const counts: number[] = [];
      let seq = data.board.seq;
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 25_000; i++) {
          applyEvent(data.board, { seq: ++seq, kind: 'output', host: hostNames[i % hostNames.length], stream: 'stdout', text: `round ${round} line ${i}\n`, hidden: false }, Date.now());
          if (i % 5000 === 0) patch(root, boardView(data.board, { runId: '8' }));
        }
        patch(root, boardView(data.board, { runId: '8' }));
        counts.push(document.getElementsByTagName('*').length);
      }
      const pre: string[] = root.querySelector('pre.output').textContent.split('\n');
      return { counts, lines: pre.length, last: pre.at(-1), open: root.querySelectorAll('details[open]').length, lanes: root.querySelectorAll('li.lane').length };
    }, hosts);
    assert.equal(result.lanes, 200);
    assert.equal(result.open, 0, '200 lanes start collapsed');
    assert.equal(new Set(result.counts).size, 1, `the element count does not grow with output: ${result.counts}`);
    assert.equal(result.lines, 40);
    assert.equal(result.last, 'round 3 line 24800');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('opens and closes a lane from the keyboard, and follows the system\'s light or dark preference', async () => {
    pages.set('/runs/9', runPage({ title: 'Run 9', csrf: 'x', canRun: true }, { ...RUN, id: 9 }, board(['web1', 'web2'], (host) => [`hello from ${host}\n`])));
    const backgrounds: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      const { context, page, errors } = await newContext({ colorScheme });
      await page.goto(`${base}/runs/9`);
      backgrounds.push(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
      const summary = page.locator('#lane-1\\/web1 summary');
      assert.equal(await page.locator('#lane-1\\/web1 details').getAttribute('open'), '');
      await summary.focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.locator('#lane-1\\/web1 details').getAttribute('open'), null);
      await page.keyboard.press('Space');
      assert.equal(await page.locator('#lane-1\\/web1 details').getAttribute('open'), '');
      if (colorScheme === 'dark') await screenshot(page, 'run-dark');
      assert.deepEqual(errors, []);
      await context.close();
    }
    assert.notEqual(backgrounds[0], backgrounds[1]);
  });
});
