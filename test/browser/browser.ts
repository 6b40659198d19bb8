// Headless Chromium for the web page's tests: Debian's own `chromium` package (scripts/setup-debian installs it),
// driven by playwright-core, which downloads no browser. FABTS_CHROMIUM names another binary.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.FABTS_CHROMIUM ?? '/usr/bin/chromium';

let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  browser = undefined;
});

export async function launch(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup-debian (apt-get install -y chromium), or set FABTS_CHROMIUM`);
  browser ??= await chromium.launch({ executablePath: CHROMIUM, headless: true });
  return browser;
}

/** A fresh browser profile (cookies, storage) with the page's errors collected, so a test can say none happened. */
export async function newContext(options: { colorScheme?: 'light' | 'dark'; javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await (await launch()).newContext({ viewport: { width: 1200, height: 800 }, colorScheme: options.colorScheme ?? 'light', javaScriptEnabled: options.javaScriptEnabled ?? true });
  const page = await context.newPage();
  // Runs on the test bed start child processes and SSH connections: on a loaded machine that takes a while.
  page.setDefaultTimeout(90_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    // CSP violations show up here, not as page errors; failed loads are told below with their URL.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} from ${response.request().method()} ${response.url()}`);
  });
  return { context, page, errors };
}

/** Screenshots land in the run's temp dir; FABTS_SCREENSHOTS=DIR keeps them somewhere else. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = process.env.FABTS_SCREENSHOTS ?? path.join(os.tmpdir(), 'fabts-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
