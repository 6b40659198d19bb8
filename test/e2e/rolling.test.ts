// Rolling deploys with the built `fab` on the real test bed: batches and their lines, gates (a command; HTTP
// through the host's own SSH connection, also behind the bastion), the failure budget, and the deploy lock
// between real `fab` processes: a race on overlapping hosts, waiting, Ctrl-C and SIGTERM, a SIGKILLed owner
// going stale after its TTL, `fab lock status|release [--force]`. Hosts h1..h6 are ssh_config aliases of the
// direct sshd (one machine, one disk, one home: lock entries are named after the target host).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FAB_BIN, collectRun, fab, makeProject, type FabRun } from '../support/fab.ts';
import { loadTestbed } from '../hosts/testbed.ts';
import { processesMatching } from '../support/processes.ts';
import { fabInPty } from '../support/pty.ts';

const tb = loadTestbed();
const ALIASES = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
let ids = 0;
const uniqueId = () => `${process.pid}-${Date.now() % 1_000_000}-${ids++}`;

const FABFILE = `
import { task, run, env } from 'fabts';

/** Appends "start/end RUN HOST" to a shared log; fails on the hosts named by fail= (a;b). */
export const deploy = task({ lock: true, parallel: true }, async ({ log, tag = 'x', fail = '', nap = '0.3' }) => {
  await run(\`echo "start \${tag} \${env.host}" >> \${log}\`);
  await run(\`sleep \${nap}\`);
  if (String(fail).split(';').includes(env.host)) await run('echo "cannot deploy" >&2; exit 5');
  await run(\`echo "end \${tag} \${env.host}" >> \${log}\`);
  return env.batch ? env.batch.number : 0;
});

/** One host per batch, each taking nap seconds: time for someone to break the lock in between. */
export const rollslow = task({ lock: 'deploy', batch: 1 }, async ({ log, nap = '1' }) => {
  await run(\`echo "ran \${env.host}" >> \${log}; sleep \${nap}\`);
});

export const hang = task({ lock: 'deploy', batch: 1 }, async ({ marker }) => {
  await run(\`echo started; sleep 60.\${marker}\`);
});
`;

const dir = makeProject({ 'fabfile.ts': FABFILE });
const { port } = tb.hosts.direct;
const sshConfig = join(dir, 'ssh_config');
writeFileSync(
  sshConfig,
  [
    readFileSync(tb.sshConfigPath, 'utf8'),
    `Host ${ALIASES.join(' ')} 127.0.0.1`,
    '  HostName 127.0.0.1',
    `  Port ${port}`,
    '  User fabtest',
    `  IdentityFile ${tb.keyPath}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${tb.knownHostsPath}`,
    '  StrictHostKeyChecking yes',
    '',
  ].join('\n'),
);
writeFileSync(join(dir, '.fabrc.json'), JSON.stringify({ noAgent: true, gateInterval: 0.2 }));

/** A lock directory of its own for each test, on the shared disk (what every alias's home holds). */
function lockDirFor(id: string): string {
  return join(tb.remoteDir, `locks-${id}`);
}
const run = (args: string[], options: { timeoutMs?: number } = {}) => fab(['-F', sshConfig, ...args], { cwd: dir, ...options });

function start(args: string[]): { child: ChildProcess; done: Promise<FabRun>; output: () => string; waitFor: (pattern: RegExp) => Promise<void> } {
  const child = spawn(process.execPath, [FAB_BIN, '-F', sshConfig, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk));
  const done = collectRun(child as never, 90_000);
  const waitFor = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      if (child.exitCode !== null) throw new Error(`fab exited before ${pattern}: ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { child, done, output: () => text, waitFor };
}

/** A SIGKILLed fab leaves its remote `sleep 60.<marker>` behind: end those (by pid) once the test is done. */
function endLeftovers(marker: string): void {
  for (const line of processesMatching(`sleep 60.${marker}`)) {
    try {
      process.kill(Number(line.split(':')[0]), 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
}

function entries(lockDir: string): string[] {
  return existsSync(lockDir) ? readdirSync(lockDir).filter((name) => name !== 'audit.log') : [];
}

test('batches: the whole task runs on a batch before the next; lines say `batch 2/3: h2, h3`; --json carries batches and gates', async () => {
  const id = uniqueId();
  const log = join(tb.remoteDir, `log-${id}`);
  const result = await run(['-H', 'h1,h2,h3,h4,h5', '--batch', '1,2', '--gate', 'test -s ' + log, '--set', `lockDir=${lockDirFor(id)}`, `deploy:log=${log}`]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^batch 1\/3: h1$/m);
  assert.match(result.stdout, /^batch 2\/3: h2, h3$/m);
  assert.match(result.stdout, /^batch 3\/3: h4, h5$/m);
  assert.match(result.stdout, /^\[h3\] gate: passed test -s /m);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const position = (line: string) => lines.indexOf(line);
  for (const [before, later] of [['end x h1', 'start x h2'], ['end x h2', 'start x h4'], ['end x h3', 'start x h4'], ['end x h3', 'start x h5']] as const) {
    assert.ok(position(before) >= 0 && position(before) < position(later), `${before} comes before ${later}: ${lines.join(' | ')}`);
  }
  assert.match(result.stdout, /^deploy: 3 of 3 batches done$/m);
  assert.match(result.stdout, /^ {2}new version: h1, h2, h3, h4, h5$/m);

  const json = await run(['--json', '-H', 'h1,h2,h3', '--batch', '2', '--gate', 'true', '--set', `lockDir=${lockDirFor(id)}`, `deploy:log=${log}`]);
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout);
  const deploy = doc.tasks[0];
  assert.deepEqual(deploy.batches.map((batch: { hosts: string[]; state: string }) => `${batch.hosts.join('+')}:${batch.state}`), ['h1+h2:done', 'h3:done']);
  assert.deepEqual(deploy.hosts.map((host: { host: string; batch: number; gate: { ok: boolean; attempts: number } }) => [host.host, host.batch, host.gate.ok, host.gate.attempts]), [['h1', 1, true, 1], ['h2', 1, true, 1], ['h3', 2, true, 1]]);
  assert.deepEqual(deploy.rollout, { updated: ['h1', 'h2', 'h3'], failed: [], untouched: [] });
  assert.equal(deploy.gate, 'true');
  assert.deepEqual(doc.locks.map((lock: { name: string; state: string; hosts: string[] }) => [lock.name, lock.state, lock.hosts]), [['deploy', 'released', ['h1', 'h2', 'h3']]]);
  assert.deepEqual(entries(lockDirFor(id)), [], 'no lock left behind');
});

test('the failure budget past the canary: failures within it go on; one more stops new batches; exit 1; the summary says who has what', async () => {
  const id = uniqueId();
  const log = join(tb.remoteDir, `log-${id}`);
  const within = await run(['-H', 'h1,h2,h3,h4,h5', '--batch', '1,2', '--max-fail', '1', '--set', `lockDir=${lockDirFor(id)}`, `deploy:log=${log},fail=h2`]);
  assert.equal(within.code, 1, 'a failed host fails the run, even within the budget');
  assert.match(within.stdout, /^deploy: 3 of 3 batches done$/m);
  assert.match(within.stdout, /^ {2}failed: h2$/m);
  const past = await run(['-H', 'h1,h2,h3,h4,h5', '--batch', '1,2', '--max-fail', '1', '--set', `lockDir=${lockDirFor(id)}`, `deploy:log=${log},fail=h2;h3`]);
  assert.equal(past.code, 1);
  assert.match(past.stderr, /batch 2\/3: no further batch starts: the failure budget was exceeded \(2 of 3 hosts failed; --max-fail 1\)/);
  assert.match(past.stdout, /^ {2}new version: h1$/m);
  assert.match(past.stdout, /^ {2}failed: h2, h3$/m);
  assert.match(past.stdout, /^ {2}never touched: h4, h5$/m);
  assert.match(past.stdout, /^ {2}deploy +h4 +skipped +- +not run: the failure budget was exceeded/m);
  assert.deepEqual(entries(lockDirFor(id)), []);
});

test('HTTP gates go through each host\'s own SSH connection: a private host behind the bastion is checked on its loopback; {host}; a bad status fails the host', async () => {
  const netnsPort = 20000 + (process.pid % 20000);
  const server = spawn('ip', ['netns', 'exec', tb.netns, process.execPath, '-e', `require('node:http').createServer((q, s) => { s.statusCode = q.url === '/health' ? 200 : 503; s.end('x'); }).listen(${netnsPort}, '127.0.0.1', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  after(() => server.kill());
  await new Promise((resolve) => server.stdout!.once('data', resolve));
  const id = uniqueId();
  const log = join(tb.remoteDir, `log-${id}`);
  const common = ['--set', `lockDir=${lockDirFor(id)},gateRetries=1`, `deploy:log=${log}`];
  const healthy = await run(['-H', 'web1,web2', '--batch', '1', '--gate-http', `http://127.0.0.1:${netnsPort}/health`, ...common]);
  assert.equal(healthy.code, 0, healthy.stderr);
  assert.match(healthy.stdout, new RegExp(`^\\[web2\\] gate: passed http://127\\.0\\.0\\.1:${netnsPort}/health \\(HTTP 200\\)$`, 'm'));
  const sick = await run(['-H', 'web1,web2', '--batch', '1', '--gate-http', `http://127.0.0.1:${netnsPort}/sick`, ...common]);
  assert.equal(sick.code, 1);
  assert.match(sick.stderr, /\[web1\] gate failed: .*\/sick: HTTP 503 \(2 attempts\)/);
  assert.match(sick.stdout, /^ {2}deploy +web1 +failed .*health gate failed after 2 attempts: HTTP 503/m);
  assert.match(sick.stdout, /^ {2}deploy +web2 +skipped +- +not run: the canary batch failed/m);
  const closed = await run(['-H', 'web1', '--gate-http', 'http://127.0.0.1:1/health', ...common]);
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /\[web1\] gate failed: http:\/\/127\.0\.0\.1:1\/health: 127\.0\.0\.1:1 refused the connection \(as web1 sees it\) \(2 attempts\)/);

  // {host} is each host's own name: here the direct host, reached as 127.0.0.1, checks a server on this machine.
  const local = http.createServer((request, response) => {
    response.statusCode = request.url === '/ok' ? 204 : 500;
    response.end();
  });
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
  after(() => local.close());
  const localPort = (local.address() as AddressInfo).port;
  const viaToken = await run(['-H', '127.0.0.1', '--gate-http', `http://{host}:${localPort}/ok`, ...common]);
  assert.equal(viaToken.code, 0, viaToken.stderr);
  assert.match(viaToken.stdout, new RegExp(`gate: passed http://\\{host\\}:${localPort}/ok \\(HTTP 204\\)`));
});

test('two fab processes racing for the same lock on overlapping hosts: exactly one wins, the other says who holds it; no lock is left', async () => {
  for (let round = 0; round < 3; round++) {
    const id = uniqueId();
    const log = join(tb.remoteDir, `log-${id}`);
    const settings = ['--set', `lockDir=${lockDirFor(id)}`];
    const [a, b] = await Promise.all([
      run(['-H', 'h1,h2,h3', ...settings, '--lock-message', 'release A', `deploy:log=${log},tag=A,nap=1`]),
      run(['-H', 'h3,h4,h2', ...settings, '--lock-message', 'release B', `deploy:log=${log},tag=B,nap=1`]),
    ]);
    const codes = [a.code, b.code].sort();
    assert.deepEqual(codes, [0, 1], `round ${round}: one wins, one fails\nA: ${a.stderr}\nB: ${b.stderr}`);
    const loser = a.code === 1 ? a : b;
    const winnerTag = a.code === 0 ? 'A' : 'B';
    assert.match(loser.stderr, new RegExp(`the deploy lock on h[23] is held by \\S+@\\S+ \\(run [0-9a-f]{12}, task deploy\\) since \\d{4}-\\d\\d-\\d\\dT[^:]+:\\d\\d:\\d\\d\\.\\d+Z: "release ${winnerTag}"; wait for it with --lock-wait`));
    const started = readFileSync(log, 'utf8').match(/start (\w)/g) ?? [];
    assert.deepEqual([...new Set(started)], [`start ${winnerTag}`], 'only the winner ran anywhere');
    assert.deepEqual(entries(lockDirFor(id)), [], 'no lock left behind');
  }
});

test('with --lock-wait both racing deploys run, one after the other, never at once, and no lock is left', async () => {
  const id = uniqueId();
  const log = join(tb.remoteDir, `log-${id}`);
  const settings = ['--set', `lockDir=${lockDirFor(id)}`];
  const [a, b] = await Promise.all([
    run(['-H', 'h1,h2,h3', ...settings, '--lock-wait', '60', `deploy:log=${log},tag=A,nap=0.5`]),
    run(['-H', 'h3,h4,h2', ...settings, '--lock-wait', '60', `deploy:log=${log},tag=B,nap=0.5`]),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const tags = lines.map((line) => line.split(' ')[1]);
  const firstTag = tags[0];
  const switchAt = tags.findIndex((tag) => tag !== firstTag);
  assert.ok(tags.slice(switchAt).every((tag) => tag !== firstTag), `one deploy entirely after the other: ${lines.join(' | ')}`);
  assert.match(a.stderr + b.stderr, /lock: waiting for the deploy lock on h\d: held by/);
  assert.deepEqual(entries(lockDirFor(id)), []);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} during a batch ends the commands and releases the lock (exit ${signal === 'SIGINT' ? 130 : 143})`, async () => {
    const id = uniqueId();
    const marker = `${Date.now() % 1_000_000}${ids}`;
    const running = start(['-H', 'h1,h2,h3', '--set', `lockDir=${lockDirFor(id)}`, `hang:marker=${marker}`]);
    await running.waitFor(/\[h1\] out: started/);
    assert.equal(entries(lockDirFor(id)).length, 3, 'the lock is held on h1, h2, h3 while the batch runs');
    running.child.kill(signal);
    const result = await running.done;
    assert.equal(result.code, signal === 'SIGINT' ? 130 : 143, running.output());
    assert.match(running.output(), /lock: released the deploy lock on h1, h2, h3/);
    assert.deepEqual(entries(lockDirFor(id)), [], 'no lock left behind');
  });
}

test('a SIGKILLed owner: its lock holds until no heartbeat came for the TTL, then the next deploy takes it over (audited); fab lock status shows it', async () => {
  const id = uniqueId();
  const lockDir = lockDirFor(id);
  const marker = `${Date.now() % 1_000_000}${ids}`;
  const settings = ['--set', `lockDir=${lockDir},lockTtl=2`];
  after(() => endLeftovers(marker));
  const owner = start(['-H', 'h1,h2', ...settings, '--lock-message', 'doomed', `hang:marker=${marker}`]);
  await owner.waitFor(/\[h1\] out: started/);
  owner.child.kill('SIGKILL');
  await owner.done;
  const status = await run(['-H', 'h1,h2,h3', ...settings, 'lock', 'status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^h1 {2}deploy {2}(held, heartbeat \d+s ago \(ttl 2s\)|STALE .*): \S+ \(run [0-9a-f]+, task hang\) since .*: "doomed"$/m);
  assert.match(status.stdout, /^h2 {2}deploy /m);
  assert.doesNotMatch(status.stdout, /^h3/m);
  // Wait (without a clock in the assertion) until the host's own clock says the lock went stale.
  for (let tries = 0; tries < 100; tries++) {
    if (/^h2 {2}deploy {2}STALE/m.test((await run(['-H', 'h2', ...settings, 'lock', 'status'])).stdout)) break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const log = join(tb.remoteDir, `log-${id}`);
  const next = await run(['-H', 'h1,h2', ...settings, `deploy:log=${log}`]);
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, /\[h1\] Warning: took over the deploy lock: its owner had not refreshed it for longer than its TTL/);
  assert.match(readFileSync(join(lockDir, 'audit.log'), 'utf8'), /stale lock deploy@h1 removed \(no heartbeat for \d+ s, ttl 2 s\) by .*"doomed"/);
  assert.deepEqual(entries(lockDir), []);
});

test('fab lock release removes only stale locks; --force removes a live one and records who did it on the host', async () => {
  const id = uniqueId();
  const lockDir = lockDirFor(id);
  const marker = `${Date.now() % 1_000_000}${ids}`;
  const settings = ['--set', `lockDir=${lockDir}`];
  after(() => endLeftovers(marker));
  const pwned = join(tb.remoteDir, `pwned-${id}`);
  const hostile = `$(touch ${pwned}) \`touch ${pwned}\` "q" 'q'; touch ${pwned}\n\u001b[2Jcleared`;
  const owner = start(['-H', 'h1', ...settings, '--lock-message', hostile, `hang:marker=${marker}`]);
  await owner.waitFor(/\[h1\] out: started/);
  owner.child.kill('SIGKILL');
  await owner.done;
  const polite = await run(['-H', 'h1', ...settings, 'lock', 'release']);
  assert.equal(polite.code, 1);
  assert.match(polite.stderr, /h1 {2}deploy {2}held, .*not stale: ask its owner, or use fab lock release --force/);
  assert.ok(polite.stderr.includes(`"$(touch ${pwned}) \`touch ${pwned}\` "q" 'q'; touch ${pwned}??[2Jcleared"`), polite.stderr);
  assert.ok(!existsSync(pwned), 'the message is a word on the host, never a command');
  assert.deepEqual(entries(lockDir), ['deploy@h1']);
  const forced = await run(['-H', 'h1', ...settings, 'lock', 'release', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /^released: h1 {2}deploy /m);
  assert.deepEqual(entries(lockDir), []);
  assert.match(readFileSync(join(lockDir, 'audit.log'), 'utf8'), /^\d{4}-\d\d-\d\dT\S+Z lock deploy@h1 released by force by \S+@\S+ \(fab lock release --force\): \{"owner"/m);
  const none = await run(['-H', 'h1', ...settings, 'lock', 'status']);
  assert.match(none.stdout, /^no locks on h1$/m);
});

test('on a terminal, lanes are grouped by batch; each batch has a row for its gate, and each lane says how its gate went', async () => {
  const id = uniqueId();
  const log = join(tb.remoteDir, `log-${id}`);
  const { code, screen } = await fabInPty(['-F', sshConfig, '-H', 'h1,h2,h3', '--batch', '1,2', '--gate', `grep -q end ${log}`, '--set', `lockDir=${lockDirFor(id)}`, `deploy:log=${log}`], { cwd: dir });
  assert.equal(code, 0, screen);
  const frame = screen.slice(screen.lastIndexOf('✔ deploy'));
  assert.match(frame, /^ {2}✔ batch 1\/2: h1\b.*\n {4}✔ h1 {2}gate ✔ exit code 0\b.*\n {4}✔ gate: 1\/1 passed {2}grep -q end /m, frame);
  assert.match(frame, /^ {2}✔ batch 2\/2: h2, h3\b.*\n {4}✔ h2 {2}gate ✔ exit code 0\b.*\n {4}✔ h3 {2}gate ✔ exit code 0\b.*\n {4}✔ gate: 2\/2 passed /m);
  assert.match(screen, /^ {4}\S gate: grep -q end /m, 'the gate row waits while the batch runs');
});

test('a lock removed under a running deploy (fab lock release --force) is noticed by its heartbeat: no further batch starts, exit 1', async () => {
  const id = uniqueId();
  const lockDir = lockDirFor(id);
  const log = join(tb.remoteDir, `log-${id}`);
  const settings = ['--set', `lockDir=${lockDir},lockTtl=3`];
  const deploy = start(['-H', 'h1,h2,h3,h4,h5,h6', ...settings, `rollslow:log=${log},nap=2`]);
  await deploy.waitFor(/\[h1\] run: echo "ran h1"/);
  const forced = await run(['-H', 'h1,h2,h3,h4,h5,h6', ...settings, 'lock', 'release', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  const result = await deploy.done;
  assert.equal(result.code, 1, deploy.output());
  assert.match(deploy.output(), /lock lost: the deploy lock on h\d was removed or taken over by another run; no further batch starts/);
  assert.match(result.stderr, /fab: error: the deploy lock on h\d was removed or taken over by another run while the task ran; no further batch was started/);
  const ran = readFileSync(log, 'utf8').trim().split('\n');
  assert.ok(ran.length < 6, `not every host ran: ${ran.join(', ')}`);
  assert.match(result.stdout, /^ {2}rollslow +h6 +skipped +- +not run: the deploy lock on h\d was removed/m);
});

test('on a terminal, a task waiting for a deploy lock says so on its entry, then runs', async () => {
  const id = uniqueId();
  const log = join(tb.remoteDir, `log-${id}`);
  const settings = ['--set', `lockDir=${lockDirFor(id)}`];
  const holder = start(['-H', 'h1', ...settings, '--lock-message', 'hold on', `rollslow:log=${log},nap=8`]);
  await holder.waitFor(/\[h1\] run: echo "ran h1"/);
  const { code, screen } = await fabInPty(['-F', sshConfig, '-H', 'h1,h2', ...settings, '--lock-wait', '60', `deploy:log=${log}`], { cwd: dir });
  assert.equal((await holder.done).code, 0);
  assert.equal(code, 0, screen);
  assert.match(screen, /^\S deploy {2}waiting for the deploy lock on h1, held by \S+@\S+ \("hold on"\)$/m);
  assert.match(screen, /^✔ deploy \[/m);
});

test('bad rolling flags and lock commands are usage errors (exit 2) that say what to write; nothing runs, no lock is taken', async () => {
  const id = uniqueId();
  const settings = ['--set', `lockDir=${lockDirFor(id)}`];
  const cases: [string[], RegExp][] = [
    [['--batch', '0%'], /fab: error: --batch: "0%" is not a batch size; .*e\.g\. --batch 1,10%,25%/],
    [['--batch', '1,,2'], /--batch: "" is not a batch size/],
    [['--max-fail', '101%'], /--max-fail: "101%" is not a failure budget; .*e\.g\. --max-fail 10%/],
    [['--gate-http', 'localhost:8080/health'], /gate: "localhost:8080\/health" is not an http:\/\/ or https:\/\/ URL/],
    [['--batch-wait', '-1'], /--batch-wait needs a number of at least 0, not "-1"/],
  ];
  for (const [flags, message] of cases) {
    const result = await run(['-H', 'h1,h2', ...settings, ...flags, `deploy:log=/dev/null`]);
    assert.equal(result.code, 2, `${flags.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stdout, /Executing task/);
  }
  assert.deepEqual(entries(lockDirFor(id)), []);
  for (const args of [['lock'], ['-H', 'h1', 'lock', 'frob']]) {
    const result = await run(args);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^fab: error: fab lock needs what to do: fab lock status \[TASK\] \(-H hosts\), or fab lock release \[--force\] \[TASK\]$/m);
  }
});
