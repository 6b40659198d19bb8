// What `npm test` runs: brings the real-sshd test bed up, runs node's test runner over the test files with
// FABTS_TESTBED in its environment, tears the test bed down whatever happens, and exits with the runner's status.
//
//   node --import tsx test/run.ts                    unit + integration + e2e + browser (headless Chromium)
//   node --import tsx test/run.ts --unit             unit tests only, no test bed (no root needed)
//   node --import tsx test/run.ts FILE|DIR|GLOB ...  just those (no test bed when they are all under test/unit)
//   node --import tsx test/run.ts --test-name-pattern=sudo test/integration   (--test-* flags go to node)
//
// With FABTS_TESTBED already set (test/hosts/up.ts running), that test bed is used and left up.
// The tests get a fresh, empty HOME (FABTS_KEEP_HOME=1 keeps the real one).
// FABTS_TEST_TIMEOUT (ms, default 300000) bounds each test, so a hang cannot eat CI's whole budget.
//
// Two lanes run at once. The bed lane takes the files that use the shared test bed, one at a time (some stop, freeze
// or kill its hosts); the side lane takes the unit tests, which use no test bed, and the few long tests that only
// wait on a host without disturbing it (SIDE_LANE). The bed lane reports live; the side lane's report is printed in
// one piece when it ends. FABTS_TEST_LANES=1 runs everything in one lane, one file at a time.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestbed, stopTestbedSync, type Testbed } from './hosts/testbed.ts';
import { formatFailures, tapFailures, type TapFailure } from './support/tap-failures.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SUITES = ['test/unit', 'test/integration', 'test/e2e', 'test/browser'];
/** Files the side lane takes (see the head of this file): nothing in them depends on, or changes, what other tests see. */
const SIDE_LANE = [/^test\/unit\//, /^test\/e2e\/many-commands\.test\.ts$/];
const TEST_FILE = /\.test\.(ts|mts|cts|js|mjs|cjs)$/;

function walk(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

/** `*` within a path segment, `**` across segments, `?` one character. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function expand(arg: string): string[] {
  const abs = path.resolve(arg);
  const rel = (f: string) => path.relative(root, f);
  if (/[*?]/.test(arg)) {
    const segments = abs.split('/');
    const firstWild = segments.findIndex((s) => /[*?]/.test(s));
    const re = globToRegExp(abs);
    return walk(segments.slice(0, firstWild).join('/') || '/').filter((f) => re.test(f)).map(rel);
  }
  const stat = fs.statSync(abs, { throwIfNoEntry: false });
  if (!stat) throw new Error(`no such test file or directory: ${arg}`);
  if (stat.isDirectory()) return walk(abs).filter((f) => TEST_FILE.test(f)).map(rel);
  return [rel(abs)];
}

// ---------------------------------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const unitOnly = argv.includes('--unit');
const nodeFlags = argv.filter((a) => a.startsWith('--test-'));
const paths = argv.filter((a) => a !== '--unit' && !a.startsWith('--test-'));
const isRoot = process.getuid?.() === 0;

let files: string[];
let needsTestbed: boolean;
let notice = '';
try {
  if (paths.length > 0) {
    files = [...new Set(paths.flatMap(expand))];
    needsTestbed = !unitOnly && files.some((f) => !f.startsWith('test/unit/'));
  } else if (unitOnly || (!isRoot && !process.env.FABTS_TESTBED && !process.env.CI)) {
    if (!unitOnly) {
      notice =
        'NOT ROOT: running the unit tests only. The integration and e2e tests talk to real sshd servers that the test ' +
        'bed starts as root (a network namespace, a test user with a password, sudo rights): run `sudo npm test` for them.';
    }
    files = fs.existsSync(path.join(root, 'test/unit')) ? expand(path.join(root, 'test/unit')) : [];
    needsTestbed = false;
  } else {
    files = SUITES.flatMap((s) => (fs.existsSync(path.join(root, s)) ? expand(path.join(root, s)) : []));
    needsTestbed = true;
  }
  files = files.filter((f) => TEST_FILE.test(f)).sort();
} catch (err) {
  process.stderr.write(`test/run.ts: ${(err as Error).message}\n`);
  process.exit(2);
}

if (notice) process.stderr.write(`\n${notice}\n\n`);
if (files.length === 0) {
  process.stdout.write('no test files found\n# tests 0\n# pass 0\n# fail 0\n');
  process.exit(0);
}

let testbed: Testbed | undefined;
let ownTestbed = false;
let tornDown = false;
function teardown(): void {
  if (tornDown || !testbed || !ownTestbed) return;
  tornDown = true;
  const t0 = Date.now();
  stopTestbedSync(testbed);
  process.stderr.write(`test bed down in ${Date.now() - t0} ms\n`);
}
// Last resort (an exception in this file, process.exit from anywhere): never leave sshd, socat or a netns behind.
process.on('exit', teardown);

let signalled: NodeJS.Signals | undefined;
const children: ChildProcess[] = [];
function onSignal(sig: NodeJS.Signals): void {
  if (signalled) {
    // A second Ctrl-C: stop waiting for the runners.
    for (const c of children) c.kill('SIGKILL');
    return;
  }
  signalled = sig;
  process.stderr.write(`\n${sig}: stopping the tests, then the test bed\n`);
  for (const c of children) c.kill(sig);
  setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 10000).unref();
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
const exitStatus = () => (signalled === 'SIGINT' ? 130 : 143);

const env: NodeJS.ProcessEnv = { ...process.env };
if (needsTestbed) {
  if (process.env.FABTS_TESTBED) {
    process.stderr.write(`using the test bed already up: FABTS_TESTBED=${process.env.FABTS_TESTBED}\n`);
  } else {
    try {
      const t0 = Date.now();
      ownTestbed = true;
      testbed = await startTestbed();
      env.FABTS_TESTBED = testbed.statePath;
      process.stderr.write(`test bed up in ${Date.now() - t0} ms: FABTS_TESTBED=${testbed.statePath}\n`);
    } catch (err) {
      process.stderr.write(`test/run.ts: cannot start the test bed: ${(err as Error).message}\n`);
      process.exit(signalled ? exitStatus() : 1);
    }
  }
}
if (signalled) process.exit(exitStatus()); // interrupted while the test bed came up: 'exit' tears it down

// spec to the terminal for people; TAP to a file per lane, whose closing `# pass N` / `# fail N` lines are added up and
// echoed for CI.
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-run-'));
// The tests' own temp files (projects, keys, transfer data) go below the run dir, removed with it at the end. It is
// as open as /tmp (sticky, world-writable), since the test user on the "remote" side reads and writes some of them.
fs.chmodSync(runDir, 0o711);
const timeout = process.env.FABTS_TEST_TIMEOUT ?? '300000';

interface Lane {
  name: 'bed' | 'side';
  files: string[];
  dir: string;
  tapFile: string;
  /** Where the spec report goes: the terminal (live) or a file printed when the lane ends. */
  specFile?: string;
}

function makeLane(name: Lane['name'], laneFiles: string[], live: boolean): Lane {
  const dir = path.join(runDir, name);
  fs.mkdirSync(dir, { mode: 0o711 });
  return { name, files: laneFiles, dir, tapFile: path.join(dir, 'results.tap'), specFile: live ? undefined : path.join(dir, 'spec.txt') };
}

function runLane(lane: Lane): Promise<[number | null, NodeJS.Signals | null]> {
  const laneEnv: NodeJS.ProcessEnv = { ...env, TMPDIR: path.join(lane.dir, 'tmp') };
  fs.mkdirSync(laneEnv.TMPDIR!);
  fs.chmodSync(laneEnv.TMPDIR!, 0o1777);
  // A fresh HOME per lane and run: what tests write to ~/.ssh/known_hosts (web1/web2 keep their ports but get new
  // host keys every run) or read from ~/.fabrc must not leak between runs or lanes, nor touch the real home.
  // FABTS_KEEP_HOME=1 opts out.
  if (process.env.FABTS_KEEP_HOME !== '1') {
    laneEnv.HOME = path.join(lane.dir, 'home');
    fs.mkdirSync(laneEnv.HOME, { mode: 0o700 });
  }
  const runner = spawn(
    process.execPath,
    [
      '--import', 'tsx',
      '--test',
      '--test-reporter=spec', `--test-reporter-destination=${lane.specFile ?? 'stdout'}`,
      '--test-reporter=tap', `--test-reporter-destination=${lane.tapFile}`,
      '--test-concurrency=1',
      `--test-timeout=${timeout}`,
      ...nodeFlags,
      ...lane.files,
    ],
    { cwd: root, env: laneEnv, stdio: 'inherit' },
  );
  children.push(runner);
  return new Promise((resolve) => {
    runner.on('error', (err) => {
      process.stderr.write(`test/run.ts: could not run node --test: ${err.message}\n`);
      resolve([1, null]);
    });
    runner.on('exit', (c, s) => {
      if (lane.specFile) {
        const report = fs.existsSync(lane.specFile) ? fs.readFileSync(lane.specFile, 'utf8') : '';
        process.stdout.write(`\n--- side lane (${lane.files.length} files, ran beside the others): ${c === 0 ? 'passed' : 'FAILED'} ---\n${report}--- end of the side lane ---\n\n`);
      }
      resolve([c, s]);
    });
  });
}

const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const;
/** The closing counts of a lane's TAP file, or undefined when its runner died before writing them. */
function tapCounts(tapFile: string): Map<string, number> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(tapFile, 'utf8');
  } catch {
    return undefined;
  }
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) counts.set(m[1]!, Number(m[2]));
  return counts.size > 0 ? counts : undefined;
}

const oneLane = process.env.FABTS_TEST_LANES === '1';
const side = oneLane ? [] : files.filter((f) => SIDE_LANE.some((re) => re.test(f)));
const bed = files.filter((f) => !side.includes(f));
const lanes = [bed.length > 0 ? makeLane('bed', bed, true) : undefined, side.length > 0 ? makeLane('side', side, bed.length === 0) : undefined].filter(
  (lane): lane is Lane => lane !== undefined,
);
const started = Date.now();
const outcomes = await Promise.all(lanes.map(runLane));

const totals = new Map<string, number>();
let complete = true;
const failures: TapFailure[] = [];
for (const lane of lanes) {
  if (fs.existsSync(lane.tapFile)) failures.push(...tapFailures(fs.readFileSync(lane.tapFile, 'utf8')));
  const counts = tapCounts(lane.tapFile);
  if (!counts) complete = false;
  for (const [key, value] of counts ?? []) totals.set(key, (totals.get(key) ?? 0) + value);
}
const summary = complete ? [...COUNTS.map((key) => `# ${key} ${totals.get(key) ?? 0}`), `# duration_ms ${Date.now() - started}`].join('\n') : '';
fs.rmSync(runDir, { recursive: true, force: true });
// The failures again, last: a CI log is read from its end, and they are far above it otherwise.
if (failures.length > 0) process.stdout.write(`\n--- ${failures.length} failed (again, from both lanes) ---\n${formatFailures(failures)}\n`);
process.stdout.write(`\n${summary || '# no summary: a test runner did not finish'}\n`);

teardown();
const failed = outcomes.find(([c, s]) => c !== 0 || s !== null);
if (!signalled && failed?.[1]) process.stderr.write(`test/run.ts: node --test was killed by ${failed[1]}\n`);
process.exit(signalled ? exitStatus() : failed ? (failed[0] || 1) : 0);
