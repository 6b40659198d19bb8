// More of the web page of a real `fab serve` in headless Chromium (a file of its own, so each stays well inside the
// per-file time limit on a loaded machine): full logs by Range and without JavaScript, transfers, 100,000 lines, and a
// server without a token file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { newContext } from './browser.ts';
import { type Served, lane, logIn as logInTo, startFromForm as startTaskFromForm, startServe } from './serve.ts';

declare const window: { pwned?: number };
declare const document: { getElementById(id: string): { textContent: string | null; getElementsByTagName(name: string): { length: number } } | null };

let served: Served;
before(async () => {
  served = await startServe();
});

const logIn = (page: Page, next?: string) => logInTo(served, page, next);
const startFromForm = (page: Page, task: string, fields: Record<string, string>) => startTaskFromForm(served, page, task, fields);

describe('the fab serve web page, in a browser: logs, transfers, scale, a server without tokens', () => {
  it('opens a host\'s full log from its lane: the tail first, earlier parts by Range; history and logs read without JavaScript', async () => {
    const { context, page, errors } = await newContext();
    await logIn(page);
    const id = await startFromForm(page, 'chatty', { hosts: 'web1' });
    await lane(page, 'web1').locator('.state', { hasText: 'ok' }).waitFor();
    assert.match((await lane(page, 'web1').locator('.more').textContent()) ?? '', /earlier lines not shown/);
    await lane(page, 'web1').getByRole('link', { name: 'full log' }).click();
    await page.waitForURL(/\/runs\/[^/]+\/log\/web1$/);
    const full = await (await page.request.get(`${served.url}/api/runs/${id}/hosts/web1/log`)).text();
    assert.ok(full.length > 3 * 64 * 1024, `the log is bigger than the first load (${full.length} bytes)`);
    const shown = async () => (await page.locator('#log-text').textContent()) ?? '';
    assert.ok(full.endsWith(await shown()), 'the page shows the log\'s tail');
    assert.ok((await shown()).length < full.length);
    for (let clicks = 0; await page.locator('#log-earlier').isVisible(); clicks++) {
      assert.ok(clicks < 10);
      const before = (await shown()).length;
      await page.locator('#log-earlier').click();
      await page.waitForFunction((n) => (document.getElementById('log-text')?.textContent ?? '').length > n, before);
    }
    assert.equal(await shown(), full, 'loading earlier parts by Range rebuilds the whole log');
    assert.deepEqual(errors, []);
    await context.close();

    const plain = await newContext({ javaScriptEnabled: false });
    await logIn(plain.page, '/runs?task=chatty');
    assert.match((await plain.page.locator(`tr[data-run="${id}"]`).textContent()) ?? '', /chatty.*ok.*admin/s);
    await plain.page.goto(`${served.url}/runs/${id}/log/web1`);
    assert.ok(full.endsWith((await plain.page.locator('#log-text').textContent()) ?? 'missing'));
    assert.equal(await plain.page.getByRole('link', { name: 'full log as text' }).getAttribute('href'), `/api/runs/${id}/hosts/web1/log`);
    await plain.context.close();
  });

  it('on a loopback server without a token file, opens straight on the tasks; forms still need the CSRF token', async () => {
    const open = await startServe({ open: true });
    const { context, page, errors } = await newContext();
    await page.goto(`${open.url}/`);
    assert.equal(new URL(page.url()).pathname, '/', 'no login page');
    const form = page.locator('section.task[data-task="hostile"] form');
    await form.locator('[name=hosts]').fill('web2');
    await form.locator('button[type=submit]').click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await lane(page, 'web2').locator('.state', { hasText: 'ok' }).waitFor();
    assert.match((await page.locator('.run-head + p').textContent()) ?? '', /started by local/);
    const refused = await page.request.post(`${open.url}/runs`, { form: { task: 'hostile', hosts: 'web2' }, headers: { origin: open.url }, maxRedirects: 0 });
    assert.equal(refused.status(), 403);
    assert.deepEqual(errors, []);
    await context.close();
    open.child.kill('SIGTERM');
  });

  it('shows a transfer in its lane with its bytes, and roledefs in the task form', async () => {
    const { context, page, errors } = await newContext();
    await logIn(page);
    fs.writeFileSync(path.join(served.dir, 'app.bin'), Buffer.alloc(8 * 1024 * 1024, 7));
    await page.goto(`${served.url}/`);
    assert.deepEqual(await page.locator('section.task[data-task="deploy"] select[name=roles] option').allTextContents(), ['web']);
    await startFromForm(page, 'upload', { hosts: 'web1', 'arg.dir': served.tb.remoteDir });
    await lane(page, 'web1').locator('.state', { hasText: 'ok' }).waitFor();
    assert.match((await lane(page, 'web1').locator('.transfer').textContent()) ?? '', /put app\.bin.*done, 8\.0 MiB of 8\.0 MiB/);
    assert.equal(await lane(page, 'web1').locator('.transfer progress').getAttribute('value'), '100');
    assert.equal(fs.statSync(path.join(served.tb.remoteDir, 'app-web1.bin')).size, 8 * 1024 * 1024);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('follows 100,000 lines from two hosts with the DOM capped, and draws the ended run again from the store', async () => {
    const { context, page, errors } = await newContext();
    await logIn(page);
    const elements = () => page.evaluate(() => document.getElementById('board')!.getElementsByTagName('*').length);
    await startFromForm(page, 'flood', { hosts: 'web1,web2' });
    await page.locator('#summary').waitFor({ timeout: 120_000 });
    const live = await elements();
    for (const host of ['web1', 'web2']) {
      const lines = ((await lane(page, host).locator('pre.output').textContent()) ?? '').split('\n');
      assert.deepEqual([lines.length, lines.at(-1)], [40, '50000']);
      assert.match((await lane(page, host).locator('.more').textContent()) ?? '', /49960 earlier lines not shown/);
    }
    const t0 = Date.now();
    await page.reload();
    process.stderr.write(`# the ended 100,000-line run page, drawn from the store: ${Date.now() - t0} ms\n`);
    assert.equal(await elements(), live, 'the board drawn on the server has the same elements as the live one');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
