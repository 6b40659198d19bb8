// A real `fab serve` (the built dist/ fab) over a project whose fabfile the browser tests drive, on the sshd test bed.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { loadTestbed, type Testbed } from '../hosts/testbed.ts';
import { FAB_BIN, makeProject } from '../support/fab.ts';

export const PAGE_FABFILE = `
import { task, run, put, env } from 'fabts';

env.roledefs = { web: ['web1', 'web2'] };

/** Deploys to the web hosts; waits for the gate file, so a test sees it running first */
export const deploy = task({ roles: ['web'], parallel: true }, async ({ branch = 'main', gate = '' }) => {
  await run(\`echo deploying \${branch} on \${env.host}\`);
  if (gate) await run(\`while [ ! -e \${gate} ]; do sleep 0.05; done\`);
  await run('echo deployed');
});

/** Sleeps until cancelled */
export const hang = task(async ({ marker }) => {
  await run(\`echo started; sleep 300.\${marker}; echo after-\${marker}\`);
});

/** Counts to 40, pausing at 20 until the gate file exists */
export const count = task(async ({ gate }) => {
  await run(\`for i in $(seq 1 20); do echo line $i; done; while [ ! -e \${gate} ]; do sleep 0.05; done; for i in $(seq 21 40); do echo line $i; done\`);
});

/** Prints 20,000 numbered lines (a log bigger than the log page's first load) */
export const chatty = task(async () => {
  await run('seq 1 20000');
});

/** Uploads app.bin from the project to dir on the host */
export const upload = task(async ({ dir }) => {
  await put('app.bin', \`\${dir}/app-\${env.host}.bin\`);
});

/** 50,000 lines on each host, at full speed */
export const flood = task({ parallel: true }, async () => {
  await run('seq 1 50000');
});

/** Prints markup */
export const hostile = task(async () => {
  await run("printf '%s\\\\n' '<script>window.pwned = 1</script>' '<img src=x onerror=\\"window.pwned = 2\\">'");
});
`;

export interface Served {
  url: string;
  token: string;
  dir: string;
  tb: Testbed;
  child: ChildProcess;
  output(): string;
}

const servers: { child: ChildProcess; output: () => string }[] = [];
after(() => {
  for (const { child, output } of servers) {
    if (child.exitCode === null) child.kill('SIGKILL');
    // What the server said (its start line, warnings, failures of runs): there to read when a test failed.
    process.stderr.write(`# fab serve said:\n${output().slice(-4000).replace(/^/gm, '#   ')}\n`);
  }
});

/** Starts `fab serve` on a free loopback port (with a token file unless `open`); resolves once it prints its URL. */
export async function startServe(options: { open?: boolean } = {}): Promise<Served> {
  const tb = loadTestbed();
  const dir = makeProject({ 'fabfile.ts': PAGE_FABFILE }, 'fabts-page-');
  fs.writeFileSync(path.join(dir, '.fabrc.json'), JSON.stringify({ sshConfigPath: tb.sshConfigPath, noAgent: true }), { mode: 0o600 });
  const token = `page-test-${process.pid}-${Date.now()}`;
  const tokenFile = path.join(dir, 'tokens');
  fs.writeFileSync(tokenFile, `run admin ${token}\n`, { mode: 0o600 });
  const auth = options.open ? [] : ['--token-file', tokenFile];
  const child = spawn(process.execPath, [FAB_BIN, 'serve', '--listen', '127.0.0.1:0', ...auth, '--data', path.join(dir, 'data')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  servers.push({ child, output: () => output });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fab serve printed no URL:\n${output}`)), 30_000);
    const seen = (chunk: Buffer) => {
      output += chunk;
      const found = /https?:\/\/127\.0\.0\.1:\d+/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.on('exit', (code) => reject(new Error(`fab serve exited with ${code}:\n${output}`)));
  });
  return { url, token, dir, tb, child, output: () => output };
}

/** Opens `next` on the server, which asks for the token first, and logs in with it. */
export async function logIn(served: Served, page: Page, next = '/'): Promise<void> {
  await page.goto(`${served.url}${next}`);
  assert.match(page.url(), /\/login\?next=/, 'a page asks for the token first');
  await page.fill('input[name=token]', served.token);
  await page.press('input[name=token]', 'Enter');
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/** Starts a task from its form on the tasks page; resolves on the run's page, with the run's id. */
export async function startFromForm(served: Served, page: Page, task: string, fields: Record<string, string>): Promise<string> {
  await page.goto(`${served.url}/`);
  const form = page.locator(`section.task[data-task="${task}"] form`);
  for (const [name, value] of Object.entries(fields)) await form.locator(`[name="${name}"]`).fill(value);
  await form.locator('button[type=submit]').click();
  await page.waitForURL(/\/runs\/[^/]+$/);
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
}

/** A host's lane on a run page. */
export const lane = (page: Page, host: string) => page.locator(`li.lane[data-lane$="/${host}"]`);
