// The built `fab` on a real pseudo-terminal: the listr2 view (an entry per task, a lane per host with the
// command and the last line of output, failures with the command, exit code and stderr tail), the summary
// table, --linewise, colors, Ctrl-C typed at the terminal, and pausing while a question is asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fabInPty } from '../support/pty.ts';
import { FAB_BIN } from '../support/fab.ts';
import { execProject } from './exec-fixture.ts';

const project = execProject();
const inPty = (args: string[], options: { env?: Record<string, string>; interruptWhen?: RegExp } = {}) =>
  fabInPty(project.args(args), { cwd: project.dir, ...options });

/** The last frame listr2 drew: from the last line starting the first task's entry. */
function lastFrame(screen: string, firstTask: string): string {
  const lines = screen.split('\n');
  const start = lines.findLastIndex((line) => new RegExp(`^\\S ${firstTask}( |$)`).test(line));
  return lines.slice(start).join('\n');
}

test('terminal view: an entry per task, a lane per host with its command and last line, its output once done, failures in full, then the summary', async () => {
  const { code, screen } = await inPty(['-H', 'web1,web2,direct', 'slow', 'fails']);
  assert.equal(code, 1, screen);
  assert.match(screen, /^ {2}\S web2 {2}run: for i in 1 2 3 4 5 6; do echo line \$i; sleep 0\.3; done$/m, 'a running lane shows its command');
  assert.match(screen, /^ {4}› line [2-5]$/m, 'and the last line of its output');
  const frame = lastFrame(screen, 'slow');
  assert.match(frame, /^✔ slow \[\d/m);
  for (const host of ['web1', 'web2', 'direct']) {
    assert.match(frame, new RegExp(`^ {2}✔ ${host} \\[[^\\n]*\\n {4}› line 1\\n {6}line 2\\n {6}line 3\\n {6}line 4\\n {6}line 5\\n {6}line 6$`, 'm'), 'a finished lane keeps what the host said');
  }
  assert.match(frame, /^✖ fails/m);
  const failure = /^ {2}✖ web1\n {4}› ([^\n]+\n(?: {6}[^\n]+\n)*)/m.exec(frame)?.[1]?.split('\n').map((line) => line.trim()).join(' ');
  assert.match(failure ?? '', /^command failed on web1 with exit code 3: echo partial output; echo "it broke badly" >&2; exit 3 it broke badly/, frame);
  assert.match(frame, /^ {2}↓ web2: not run: an earlier host failed$/m);
  assert.match(frame, /^ {2}↓ direct: not run: an earlier host failed$/m);
  assert.match(frame, /^Summary: 3 ok, 1 failed, 2 skipped in /m);
  assert.match(frame, /^ {2}fails +web1 +failed +\S+ +command failed on web1 with exit code 3/m);
  assert.doesNotMatch(screen, /\[web1\] out:/, 'no prefixed lines on a terminal');
});

test('terminal view: --hide status leaves the summary out; --linewise gives prefixed lines, in color on a terminal', async () => {
  const hidden = await inPty(['-H', 'web1', 'where', '--hide', 'status'], { env: { NO_COLOR: '1' } });
  assert.equal(hidden.code, 0);
  assert.doesNotMatch(hidden.stdout, /\u001b\[3\dm/, 'NO_COLOR: the view has no colors either');
  assert.match(hidden.screen, /✔ where/);
  assert.doesNotMatch(hidden.screen, /Summary/);
  const lines = await inPty(['-H', 'web1,web2', 'halves', '--linewise']);
  assert.equal(lines.code, 0);
  assert.match(lines.screen, /^\[web1\] out: web1-1-end$/m);
  assert.match(lines.stdout, /\u001b\[36m\[web2\]\u001b\[39m/, 'host prefixes are colored on a terminal');
  const plain = await inPty(['-H', 'web1,web2', 'halves', '--linewise'], { env: { NO_COLOR: '1' } });
  assert.doesNotMatch(plain.stdout, /\u001b\[3\dm/, 'NO_COLOR: no colors');
});

test('Ctrl-C typed at the terminal: running lanes end as interrupted, the summary is printed, exit 130', async () => {
  const marker = `${process.pid}${Date.now() % 1_000_000}`;
  const { code, screen } = await inPty(['-H', 'web1,web2', `hang:marker=${marker}`], { interruptWhen: /› started[\s\S]*› started/ });
  assert.equal(code, 130, screen);
  assert.match(screen, /^ {2}✖ web1\n {4}› interrupted \(Ctrl-C\) on web1$/m);
  assert.match(screen, /^Summary: 2 interrupted in /m);
});

test('the view steps aside while a question is asked (prompt events) and comes back after; lanes show transfer progress', async () => {
  const events = pathToFileURL(join(FAB_BIN, '..', '..', 'report', 'events.js')).href;
  // An ES module, so it shares the running fab's event bus (a .ts fabfile here would be compiled to CommonJS).
  writeFileSync(
    join(project.dir, 'events.mjs'),
    `import { task, run, env } from 'fabts';
import { events } from ${JSON.stringify(events)};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const ask = task(async () => {
  await run('echo before-prompt; sleep 0.3');
  events.emit({ kind: 'prompt', state: 'start' });
  process.stderr.write('QUESTION? ');
  await sleep(400);
  process.stderr.write('yes\\n');
  events.emit({ kind: 'prompt', state: 'end' });
  await run('echo after-prompt; sleep 0.3');
});
export const upload = task(async () => {
  for (const kib of [0, 512, 1024]) {
    events.emit({ kind: 'transfer', host: env.hostString, direction: 'put', local: '/tmp/app.tgz', remote: '/srv/app.tgz', bytes: kib * 1024, total: 1048576, done: kib === 1024 });
    await sleep(400);
  }
});
`,
  );
  const { code, screen } = await inPty(['-f', join(project.dir, 'events.mjs'), '-H', 'web1', 'ask', 'upload']);
  assert.equal(code, 0, screen);
  const question = screen.indexOf('QUESTION? yes');
  assert.ok(question > screen.indexOf('› before-prompt'), screen);
  assert.ok(question !== -1 && question < screen.indexOf('› after-prompt'), 'the question showed while asked, not after the run');
  assert.match(screen, /^ {4}› put app\.tgz 50% \(0\.5\/1\.0 MiB\)$/m);
});
