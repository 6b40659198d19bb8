// The web page of a real `fab serve` in headless Chromium, runs going to the real sshd test bed: log in, start a
// deploy from the form and watch its lanes live, cancel a run (the remote process is gone), reload mid-run without
// losing a line, host output as text, and state changes refused without the CSRF token.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { processesMatching } from '../support/processes.ts';
import { newContext, screenshot } from './browser.ts';
import { type Served, lane, logIn as logInTo, startFromForm as startTaskFromForm, startServe } from './serve.ts';

declare const window: { pwned?: number };
declare const document: { getElementById(id: string): { textContent: string | null; getElementsByTagName(name: string): { length: number } } | null };

let served: Served;
before(async () => {
  served = await startServe();
});

const logIn = (page: Page, next?: string) => logInTo(served, page, next);
const startFromForm = (page: Page, task: string, fields: Record<string, string>) => startTaskFromForm(served, page, task, fields);
// Where the test user on the hosts can see it (the project dir is root's own, mode 0700).
const gateFile = (name: string) => path.join(served.tb.remoteDir, `page-gate-${process.pid}-${name}`);

describe('the fab serve web page, in a browser, against the sshd test bed', () => {
  it('logs in, starts deploy on web1,web2 from the form, and shows both lanes go running, then ok, live', async () => {
    const { context, page, errors } = await newContext();
    await logIn(page);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'fab_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict');
    const gate = gateFile('deploy');
    const id = await startFromForm(page, 'deploy', { hosts: 'web1,web2', 'arg.gate': gate });
    for (const host of ['web1', 'web2']) await lane(page, host).locator('.state', { hasText: 'running' }).waitFor();
    await lane(page, 'web1').locator('pre.output', { hasText: 'deploying main on web1' }).waitFor();
    fs.writeFileSync(gate, '');
    for (const host of ['web1', 'web2']) await lane(page, host).locator('.state', { hasText: 'ok' }).waitFor();
    await page.locator('#summary').waitFor();
    assert.match((await lane(page, 'web2').locator('pre.output').textContent()) ?? '', /deploying main on web2\ndeployed/);
    await screenshot(page, 'deploy-ok');
    assert.doesNotMatch((await page.locator('.run-head + p').textContent()) ?? '', /running/, 'the header says how long the run took');
    if (process.env.FABTS_DOCS_SCREENSHOT) {
      // The README's picture (FABTS_DOCS_SCREENSHOT=docs/serve-page.png): a plain deploy, no test gate in its title.
      await startFromForm(page, 'deploy', { hosts: 'web1,web2', 'arg.branch': 'release-42' });
      await page.locator('#summary').waitFor();
      await page.screenshot({ path: process.env.FABTS_DOCS_SCREENSHOT });
    }
    await page.goto(`${served.url}/runs?task=deploy`);
    assert.equal(await page.locator(`tr[data-run="${id}"] .state`).textContent(), 'ok');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('cancels a long task: the lane says interrupted and the remote process is gone', async () => {
    const { context, page, errors } = await newContext();
    await logIn(page);
    const marker = `${process.pid}${Date.now() % 1_000_000}`;
    await startFromForm(page, 'hang', { hosts: 'web1', 'arg.marker': marker });
    await lane(page, 'web1').locator('pre.output', { hasText: 'started' }).waitFor();
    assert.equal(processesMatching(`sleep 300.${marker}`).filter((p) => /^\d+: sleep /.test(p)).length, 1, 'the remote sleep runs');
    await page.locator('#cancel button').click();
    await lane(page, 'web1').locator('.state', { hasText: 'interrupted' }).waitFor();
    assert.deepEqual(processesMatching(marker), [], 'no process of the run is left on the host');
    await screenshot(page, 'cancelled');
    await page.goto(`${served.url}/runs?task=hang`);
    assert.match((await page.locator('tbody tr').first().textContent()) ?? '', /hang/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('loses no line when the page is reloaded in the middle of a run', async () => {
    const { context, page, errors } = await newContext();
    await logIn(page);
    const gate = gateFile('count');
    await startFromForm(page, 'count', { hosts: 'web2', 'arg.gate': gate });
    await lane(page, 'web2').locator('pre.output', { hasText: 'line 20' }).waitFor();
    await page.reload();
    fs.writeFileSync(gate, '');
    await lane(page, 'web2').locator('.state', { hasText: 'ok' }).waitFor();
    const lines = ((await lane(page, 'web2').locator('pre.output').textContent()) ?? '').split('\n');
    assert.deepEqual(lines, Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('shows a host printing <script> as text', async () => {
    const { context, page, errors } = await newContext();
    await logIn(page);
    await startFromForm(page, 'hostile', { hosts: 'web1' });
    await lane(page, 'web1').locator('.state', { hasText: 'ok' }).waitFor();
    assert.match((await lane(page, 'web1').locator('pre.output').textContent()) ?? '', /<script>window.pwned = 1<\/script>\n<img src=x onerror="window.pwned = 2">/);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.equal(await lane(page, 'web1').locator('script, img').count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('refuses a POST without the CSRF token, and one from another origin, even with the session cookie', async () => {
    const { context, page } = await newContext();
    await logIn(page);
    const before = await page.request.get(`${served.url}/api/runs`);
    const count = ((await before.json()) as { runs?: unknown[] }).runs?.length;
    const origin = served.url;
    const noToken = await page.request.post(`${served.url}/runs`, { form: { task: 'deploy', hosts: 'web1' }, headers: { origin }, maxRedirects: 0 });
    assert.equal(noToken.status(), 403);
    const apiNoToken = await page.request.post(`${served.url}/api/runs`, { data: { tasks: [{ name: 'deploy' }], hosts: ['web1'] }, headers: { origin } });
    assert.equal(apiNoToken.status(), 403);
    const html = await (await page.request.get(`${served.url}/`)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    const foreign = await page.request.post(`${served.url}/runs`, { form: { _csrf: csrf, task: 'deploy', hosts: 'web1' }, headers: { origin: 'http://evil.example' }, maxRedirects: 0 });
    assert.equal(foreign.status(), 403);
    const after = await page.request.get(`${served.url}/api/runs`);
    assert.equal(((await after.json()) as { runs?: unknown[] }).runs?.length, count, 'no run was started');
    // The same form with its token and the page's own origin does start one, answering 303 to the run's page.
    const good = await page.request.post(`${served.url}/runs`, { form: { _csrf: csrf, task: 'hostile', hosts: 'web1' }, headers: { origin }, maxRedirects: 0 });
    assert.equal(good.status(), 303);
    assert.match(good.headers().location ?? '', /^\/runs\/[^/]+$/);
    await context.close();
  });
});
