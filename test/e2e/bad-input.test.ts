// Bad input through the built `fab` (issue 8, "Bad input"): each mistake gets one clear line on stderr, the exit
// status API.md gives (2 usage, 3 fabfile load, 1 a task failed on a host), no stack trace without --debug, and
// nothing half-done: no task before the mistake ran, no file half-written. The mistakes covered elsewhere are
// cited in docs/reliability.md (unknown task, fabfile throwing at import, wrong login password, changed host key,
// unknown host under -r).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { FAB_BIN, collectRun, fab, makeProject, type FabRun } from '../support/fab.ts';
import { asRoot, localScratch, remoteScratch } from '../support/files.ts';
import { loadTestbed } from '../support/remote.ts';

const tb = loadTestbed();

const FABFILE = `
import fs from 'node:fs';
import { get, listdir, put, run, sudo, task } from 'fabts';

/** Leaves a mark: proof that a task ran. */
export const mark = task(async () => { fs.writeFileSync(process.env.MARK!, 'ran'); });

export const hello = task(async () => { await run('echo hello'); });

export const fetch = task(async ({ from, to }) => { await get(from, to); });

export const list = task(async ({ dir }) => { console.log(await listdir(dir)); });

export const upload = task(async ({ from, to }) => { await put(from, to); });

export const root = task(async () => { await sudo('id -un'); });
`;

let project: string;
let markFile: string;
before(() => {
  project = makeProject({ 'fabfile.ts': FABFILE });
  markFile = path.join(project, 'task-ran');
});

/** Asserts the run failed as a bad input must: the exit status, one stderr line matching `line`, no stack, no task run. */
function assertRefused(run: FabRun, code: number, line: RegExp): void {
  assert.equal(run.code, code, `exit status\n${run.stdout}${run.stderr}`);
  const lines = run.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr:\n${run.stderr}`);
  assert.match(lines[0]!, line);
  assert.doesNotMatch(run.stderr + run.stdout, /\n\s+at \S+ \(/, 'no stack trace');
  assert.equal(fs.existsSync(markFile), false, 'no task ran');
}

function fabHere(args: string[], env: Record<string, string> = {}): Promise<FabRun> {
  return fab(['-F', tb.sshConfigPath, ...args], { cwd: project, env: { MARK: markFile, ...env } });
}

describe('usage errors (exit 2), caught before any task runs', () => {
  test('malformed host strings: a:b:c, port 0, port 99999, empty, an empty name in a list', async () => {
    const cases: [string, RegExp][] = [
      ['a:b:c', /^fab: error: Bad host string "a:b:c": "a:b:c" is not a valid IPv6 address \(write \[addr\]:port to give a port\)/],
      ['web1:0', /^fab: error: Bad host string "web1:0": port 0 is not in 1\.\.65535; use host, user@host, host:port/],
      ['web1:99999', /^fab: error: Bad host string "web1:99999": port 99999 is not in 1\.\.65535/],
      ['web1:http', /^fab: error: Bad host string "web1:http": port "http" is not a number/],
      ['', /^fab: error: -H "" holds an empty name; give names separated by commas, e.g\. -H web1,web2$/],
      ['web1,,web2', /^fab: error: -H "web1,,web2" holds an empty name/],
      ['user@', /^fab: error: Bad host string "user@": the host is empty/],
    ];
    for (const [hosts, line] of cases) assertRefused(await fabHere(['-H', hosts, 'mark', 'hello']), 2, line);
    assertRefused(await fabHere(['-R', '', 'mark']), 2, /^fab: error: -R "" holds an empty name/);
    assertRefused(await fabHere(['--port', '0', 'mark']), 2, /^fab: error: --port needs a number of at least 1, not "0"$/);
    assertRefused(await fabHere(['--port', '99999', 'mark']), 2, /^fab: error: the command line: port must be a whole number from 1 to 65535, found 99999$/);
  });

  test('an unknown task named after a good one: neither runs', async () => {
    assertRefused(await fabHere(['mark', 'helo']), 2, /^fab: error: no task named "helo" \(did you mean "hello"\?\)/);
  });

  test('bad task arguments: no task name, no argument name, a reserved name, an empty or malformed per-task host', async () => {
    const cases: [string, RegExp][] = [
      [':x', /^fab: error: ":x" names no task; write it as task or task:arg,key=value$/],
      ['hello:=x', /^fab: error: task argument "=x" in "hello:=x" has no name before "="$/],
      ['hello:_=x', /^fab: error: task argument name "_" is reserved/],
      ['hello:hosts=', /^fab: error: hosts= in "hello:hosts=" holds an empty name; give names separated by ";"/],
      ['hello:hosts=web1;;web2', /^fab: error: hosts= in "hello:hosts=web1;;web2" holds an empty name/],
      ['hello:hosts=a:b:c', /^fab: error: Bad host string "a:b:c"/],
      ['hello:roles=nosuch', /^fab: error: role "nosuch" is not defined in env\.roledefs/],
    ];
    for (const [task, line] of cases) assertRefused(await fabHere(['mark', task]), 2, line);
  });

  test('an invalid config file, a config value of the wrong type, a missing -c file', async () => {
    const broken = path.join(project, 'broken.json');
    fs.writeFileSync(broken, '{ "port": ');
    assertRefused(await fabHere(['-c', broken, 'mark']), 2, new RegExp(`^fab: error: .*${broken.replace(/[.]/g, '\\.')}`));
    const wrongType = path.join(project, 'wrong.yaml');
    fs.writeFileSync(wrongType, 'commandTimeout: soon\n');
    assertRefused(await fabHere(['-c', wrongType, 'mark']), 2, /^fab: error: .*wrong\.yaml.*commandTimeout/);
    assertRefused(await fabHere(['-c', path.join(project, 'missing.yaml'), 'mark']), 2, /^fab: error: .*missing\.yaml/);
  });

  test('a password in an invalid .fabrc.json is not quoted by the error, even with --debug', async () => {
    const home = makeProject({ '.fabrc.json': '{\n  "password": hunter2-secret\n}\n' });
    for (const debug of [[], ['--debug']]) {
      const run = await fabHere([...debug, 'mark'], { HOME: home });
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stderr.split('\n')[0], `fab: error: ${path.join(home, '.fabrc.json')}: not valid JSON (line 2, column 15)`);
      assert.doesNotMatch(run.stdout + run.stderr, /hunter2/);
    }
    assert.equal(fs.existsSync(markFile), false, 'no task ran');
  });
});

describe('a task fails on its host (exit 1): one line, naming the host', () => {
  /** The one `[host] Failed: ...` line of a failed run; nothing else on stderr. */
  function assertFailed(run: FabRun, line: RegExp): void {
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stderr.split('\n').filter(Boolean).length, 1, run.stderr);
    assert.match(run.stderr.trim(), line);
    assert.doesNotMatch(run.stderr + run.stdout, /\n\s+at \S+ \(/, 'no stack trace');
  }

  test('a missing key file, a directory given as one, a file that is no key', async () => {
    const dir = localScratch('fabts-bad-keys-');
    fs.writeFileSync(path.join(dir, 'garbage'), 'not a key\n', { mode: 0o600 });
    assertFailed(await fabHere(['-H', 'direct', '-i', path.join(dir, 'nope'), 'hello']), new RegExp(`^\\[direct\\] Failed: hello: fabtest@direct: ${dir}/nope: identity file not found; check the path given with -i`));
    assertFailed(await fabHere(['-H', 'direct', '-i', dir, 'hello']), new RegExp(`^\\[direct\\] Failed: hello: fabtest@direct: ${dir}: identity file is a directory`));
    assertFailed(await fabHere(['-H', 'direct', '-i', path.join(dir, 'garbage'), 'hello']), /: not a private key; pass your private key file/);
  });

  test('a key file fab may not read (fab run as the test user; the key is root-only)', async () => {
    const own = makeProject({ 'fabfile.ts': FABFILE }, 'fabts-e2e-unreadable-');
    fs.chownSync(own, tb.uid, tb.uid);
    const key = path.join(localScratch('fabts-root-key-'), 'id_ed25519');
    fs.copyFileSync(tb.keyPath, key);
    fs.chmodSync(key, 0o400);
    fs.chmodSync(path.dirname(key), 0o755);
    const args = ['-F', tb.sshConfigPath, '-H', 'direct', '-i', key, 'hello'];
    const child = spawn('setpriv', ['--reuid', String(tb.uid), '--regid', String(tb.uid), '--clear-groups', process.execPath, FAB_BIN, ...args], {
      cwd: own,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: own, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assertFailed(await collectRun(child), new RegExp(`^\\[direct\\] Failed: hello: fabtest@direct: ${key}: cannot read identity file \\(EACCES\\); check its permissions\\.$`));
  });

  test('an encrypted key and no passphrase, with no terminal to ask at', async () => {
    const host = `${tb.user}@127.0.0.1:${tb.hosts.direct.port}`;
    const run = await fab(['-F', '/dev/null', '-a', '-k', '-D', '-H', host, '-i', tb.encryptedKeyPath, 'hello'], { cwd: project, env: { MARK: markFile } });
    assertFailed(run, new RegExp(`^\\[${host}\\] Failed: hello: ${host}: authentication failed \\(tried: publickey ${tb.encryptedKeyPath}\\).*: encrypted, no passphrase given`));
  });

  test('a wrong sudo password: refused once, never sent again, never shown', async () => {
    const secret = 'Wrong-Sudo-Password-7';
    const config = path.join(project, 'wrong-sudo.json');
    fs.writeFileSync(config, JSON.stringify({ sudoPassword: secret }));
    const run = await fabHere(['-c', config, '-H', 'direct,web1', 'root']);
    assertFailed(run, /^\[direct\] Failed: root: sudo on direct refused the password from env\.sudoPassword \(wrong sudo password\); it is not sent again in this run$/);
    assert.ok(!(run.stdout + run.stderr).includes(secret));
    assert.match(run.stdout, /^ {2}root +web1 +skipped/m, 'a serial run stops at the failing host');
  });

  test('remote paths that do not exist: get and listdir; no local file is made', async () => {
    const missing = `${tb.remoteDir}/not-here-${process.pid}`;
    const local = path.join(localScratch('fabts-bad-get-'), 'copy');
    assertFailed(await fabHere(['-H', 'web1', `fetch:from=${missing},to=${local}`]), new RegExp(`^\\[web1\\] Failed: fetch: get on web1: ${missing}: no such file or directory; check the path$`));
    assert.deepEqual(fs.readdirSync(path.dirname(local)), [], 'nothing was written locally');
    assertFailed(await fabHere(['-H', 'web1', `list:dir=${missing}`]), new RegExp(`^\\[web1\\] Failed: list: listdir on web1: ${missing}: no such file or directory; check the path$`));
  });

  test('permission denied on a remote write: put into a root-owned directory writes nothing there', async () => {
    const dir = remoteScratch(tb, 'root-owned');
    asRoot(`chown root:root ${dir} && chmod 755 ${dir}`);
    const source = path.join(localScratch('fabts-bad-put-'), 'app.conf');
    fs.writeFileSync(source, 'setting = 1\n');
    assertFailed(await fabHere(['-H', 'web2', `upload:from=${source},to=${dir}/app.conf`]), new RegExp(`^\\[web2\\] Failed: upload: put on web2: ${dir}/app\\.conf: permission denied; use \\{ useSudo: true \\} or a writable path$`));
    assert.deepEqual(fs.readdirSync(dir), [], 'no file, not even a temp file');
  });
});
