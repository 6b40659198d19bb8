// Ctrl-C on the built `fab`: the first SIGINT ends the remote commands (no process left on the hosts),
// closes connections, prints the summary so far and exits 130; a second SIGINT exits at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { FAB_BIN } from '../support/fab.ts';
import { processesMatching } from '../support/processes.ts';
import { execProject } from './exec-fixture.ts';

const project = execProject();

/** Starts fab; `waitFor` resolves once its output matches. */
function startFab(args: string[]) {
  const child = spawn(process.execPath, [FAB_BIN, ...project.args(args)], {
    cwd: project.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project.dir, LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const watcher of watchers.splice(0)) {
      if (watcher.pattern.test(output)) watcher.resolve();
      else watchers.push(watcher);
    }
  };
  child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk), (output += chunk), check()));
  child.stderr.on('data', (chunk: Buffer) => ((output += chunk), check()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const closed = new Promise<{ code: number | null; stdout: string; output: string; at: number }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, output, at: Date.now() });
    }),
  );
  const waitFor = (pattern: RegExp) => new Promise<void>((resolve) => (watchers.push({ pattern, resolve }), check()));
  return { child, closed, waitFor };
}

test('the first Ctrl-C ends `sleep 300` on two hosts in parallel: exit 130, summary printed, no remote process left', async () => {
  const marker = `${process.pid}${Date.now() % 1_000_000}`;
  const fab = startFab(['-H', 'web1,direct', `hang:marker=${marker}`]);
  await fab.waitFor(/\[web1\] out: started[\s\S]*\[direct\] out: started|\[direct\] out: started[\s\S]*\[web1\] out: started/);
  const sleeps = () => processesMatching(`sleep 300.${marker}`).filter((line) => /^\d+: sleep /.test(line)).length;
  for (let tries = 0; sleeps() < 2 && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(sleeps(), 2, 'both remote sleeps run');
  const sent = Date.now();
  fab.child.kill('SIGINT');
  const { code, stdout, output, at } = await fab.closed;
  assert.equal(code, 130, output);
  assert.ok(at - sent < 10_000, 'wound down promptly');
  assert.match(output, /interrupted: ending the running commands/);
  assert.match(stdout, /^Summary: 2 interrupted in /m);
  assert.match(stdout, /^ {2}hang +web1 +interrupted/m);
  assert.doesNotMatch(output, new RegExp(`out: after-${marker}`), "the command after the sleep never ran");
  assert.deepEqual(processesMatching(marker), [], 'no process with the marker remains on the hosts');
});

test('a second Ctrl-C exits at once, even while a task is stuck in its own code', async () => {
  const fab = startFab(['stuck']);
  await fab.waitFor(/stuck-started/);
  fab.child.kill('SIGINT');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const second = Date.now();
  fab.child.kill('SIGINT');
  const { code, at } = await fab.closed;
  assert.equal(code, 130);
  assert.ok(at - second < 1500, `exited ${at - second} ms after the second Ctrl-C`);
});

test('after one Ctrl-C, a task stuck in its own code does not keep fab alive: the summary comes after a grace period', async () => {
  const fab = startFab(['stuck']);
  await fab.waitFor(/stuck-started/);
  fab.child.kill('SIGINT');
  const { code, stdout } = await fab.closed;
  assert.equal(code, 130);
  assert.match(stdout, /^ {2}stuck +local +interrupted/m);
});

test('SIGTERM (a service manager, `kill`) is named SIGTERM, not Ctrl-C, and exits 143', async () => {
  const marker = `${process.pid}${Date.now() % 1_000_000}9`;
  const fab = startFab(['-H', 'direct', `hang:marker=${marker}`]);
  await fab.waitFor(/\[direct\] out: started/);
  fab.child.kill('SIGTERM');
  const { code, stdout, output } = await fab.closed;
  assert.equal(code, 143, output);
  assert.match(output, /interrupted by SIGTERM: ending the running commands/);
  assert.match(output, /Interrupted: hang: interrupted \(SIGTERM\) on direct/);
  assert.doesNotMatch(output, /Ctrl-C\)/);
  assert.match(stdout, /^ {2}hang +direct +interrupted/m);
});
