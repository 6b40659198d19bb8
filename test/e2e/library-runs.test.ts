// Runs as values: two createRun() runs at once in one plain Node process (no fabfile, no fab), with different env
// and hosts (direct, and web1 behind the bastion), each with the same runsOnce task; a sudo password for one only;
// one interrupted while the other goes on; each with its own event listener. Neither may see the other's env,
// runsOnce result, sudo password, interrupt or events.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadTestbed, type Testbed } from '../hosts/testbed.ts';
import { libraryProject, runScript } from '../support/library.ts';

const SCRIPT = `
import { createRun, task, execute, run, sudo, env } from 'fabts';
const report = (key, value) => console.log(JSON.stringify({ [key]: value }));
const safe = (event) => JSON.stringify(event, (key, value) => (key === 'bytes' ? undefined : value));

// One runsOnce task for both runs: once per run, not once per process.
let prepared = 0;
const prepare = task({ runsOnce: true }, async () => {
  const call = ++prepared;
  await run('true');
  return env.color + '@' + env.host + '#' + call;
});

let interruptedB;
const bInterrupted = new Promise((resolve) => (interruptedB = resolve));

const seen = { a: [], b: [] };
const a = createRun({ env: { hosts: ['direct'], color: 'blue', sudoPassword: process.env.SUDO_PASSWORD }, onEvent: (e) => seen.a.push(safe(e)) });
const b = createRun({
  env: { hosts: ['web1'], color: 'green' },
  onEvent: (e) => {
    seen.b.push(safe(e));
    if (e.kind === 'command' && e.command.includes('sleep 30')) b.interrupt().then(interruptedB);
  },
});

const deployA = task(async () => {
  const first = await execute(prepare);
  const again = await execute(prepare);
  env.written = 'by-a'; // this host's env, in run a
  const whoami = String(await sudo('whoami'));
  await bInterrupted; // a is mid-task while b is interrupted
  const after = String(await run('echo a-goes-on'));
  return { first, again, color: env.color, whoami, after, interrupted: a.interrupted };
});

let bSaw;
const deployB = task(async () => {
  const first = await execute(prepare);
  bSaw = { first, color: env.color, written: env.written ?? null, topLevel: env.runWide ?? null, sudoPassword: env.sudoPassword ?? null };
  try {
    await sudo('whoami');
    bSaw.sudo = 'ran';
  } catch (error) {
    bSaw.sudo = { code: error.code, message: error.message };
  }
  await run('sleep 30');
  bSaw.afterSleep = true;
});

await a.within(() => { env.runWide = 'a-only'; });
const [ra, rb] = await Promise.allSettled([a.execute(deployA), b.execute(deployB)]);
report('a', ra.status === 'fulfilled' ? ra.value : { rejected: ra.reason.message });
report('b', rb.status === 'fulfilled' ? { fulfilled: rb.value } : { code: rb.reason.code, message: rb.reason.message });
report('bSaw', bSaw);
report('interrupted', { a: a.interrupted, b: b.interrupted });
report('prepared', prepared);
report('processEnv', { color: env.color ?? null, runWide: env.runWide ?? null });
report('events', seen);
await a.close();
await b.close();
`;

describe('createRun: two runs at once in one process', { concurrency: false }, () => {
  let tb: Testbed;
  before(() => {
    tb = loadTestbed();
  });

  it("each run keeps its own env, runsOnce result, sudo password, interrupt and events", async () => {
    const dir = libraryProject(tb, { 'runs.mjs': SCRIPT });
    const result = await runScript(tb, dir, 'runs.mjs');
    assert.equal(result.code, 0, result.stderr);
    const report = result.report as Record<string, any>;

    // Run a: its env, its own runsOnce result (run once, the second call answered from it), sudo with its password,
    // and it went on after b was interrupted.
    const a = report.a.direct;
    assert.ok(a, JSON.stringify(report.a));
    assert.equal(a.color, 'blue');
    assert.match(a.first.direct, /^blue@direct#\d$/);
    assert.deepEqual(a.again, a.first, 'runsOnce: the second execute() in the same run is answered from the first');
    assert.equal(a.whoami, 'root');
    assert.equal(a.after, 'a-goes-on');
    assert.equal(a.interrupted, false);

    // Run b: its env only, its own runsOnce run, no sudo password (a's is not offered), then interrupted.
    const b = report.bSaw;
    assert.equal(b.color, 'green');
    assert.match(b.first.web1, /^green@web1#\d$/, "b's runsOnce task ran in b, on b's host, not answered from a's");
    assert.notEqual(b.first.web1.split('#')[1], a.first.direct.split('#')[1]);
    assert.equal(report.prepared, 2, 'the runsOnce task ran once in each run');
    assert.equal(b.written, null, "a's env writes are not b's");
    assert.equal(b.topLevel, null, "a's run-wide env is not b's");
    assert.equal(b.sudoPassword, null);
    assert.equal(b.sudo.code, 'PROMPT', JSON.stringify(b.sudo));
    assert.match(b.sudo.message, /env\.sudoPassword/);
    assert.equal(b.afterSleep, undefined, 'b was interrupted in its sleep');
    assert.equal(report.b.code, 'INTERRUPTED', JSON.stringify(report.b));
    assert.deepEqual(report.interrupted, { a: false, b: true });

    // The process run (the script's top level) saw neither run's env.
    assert.deepEqual(report.processEnv, { color: null, runWide: null });

    // Events: each run's listener heard its own run only.
    const events = report.events as { a: string[]; b: string[] };
    const kinds = (list: string[]) => list.map((line) => JSON.parse(line) as { kind: string; host?: string; command?: string });
    const ea = kinds(events.a);
    const eb = kinds(events.b);
    assert.ok(ea.some((e) => e.kind === 'command' && e.host === 'direct'));
    assert.ok(eb.some((e) => e.kind === 'command' && e.host === 'web1'));
    assert.ok(!ea.some((e) => e.host !== undefined && e.host !== 'direct'), 'a heard no event of web1 (or the bastion)');
    assert.ok(!eb.some((e) => e.host === 'direct'), 'b heard no event of direct');
    assert.ok(!ea.some((e) => e.kind === 'interrupt'), "a did not hear b's interrupt");
    assert.ok(eb.some((e) => e.kind === 'interrupt'));
    assert.ok(!ea.some((e) => e.command?.includes('sleep 30')) && !eb.some((e) => e.command?.includes('a-goes-on')));
    for (const line of [...events.a, ...events.b, result.stdout, result.stderr]) assert.ok(!line.includes(tb.password), 'the sudo password appears nowhere');
  });
});
