// Another user on the same machine (issue 12, items 4 and 10): `nobody` plants files where fab looks for its
// fabfile and config, or where it writes its logs, and fab (run as root here) must not run or write through them.
// The attacker is a real second process under another uid (runuser), the victim the built `fab`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fab, makeProject, type FabRun } from '../support/fab.ts';

const NOBODY = 65534;

/** Runs a shell command as `nobody`: the other user. */
function asNobody(command: string): void {
  const done = spawnSync('runuser', ['-u', 'nobody', '--', 'sh', '-c', command], { encoding: 'utf8' });
  assert.equal(done.status, 0, `as nobody: ${command}\n${done.stderr}`);
}

/** A project root others can enter (mkdtemp makes it 0700). */
function root(files: Record<string, string> = {}): string {
  const dir = makeProject(files, 'fabts-e2e-local-user-');
  fs.chmodSync(dir, 0o755);
  return dir;
}

function oneLine(run: FabRun, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `exit status\n${run.stdout}${run.stderr}`);
  const lines = run.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr:\n${run.stderr}`);
  assert.match(lines[0]!, pattern);
}

/** A fabfile that leaves a mark when it is loaded: proof that its code ran. */
const planted = (mark: string) =>
  `import fs from 'node:fs';\nfs.writeFileSync(${JSON.stringify(mark)}, 'ran');\nexport function hello() { console.log('hello from the fabfile'); }\n`;

describe('a fabfile or config found by the upward search runs only when this user (or root) owns it and no other user can replace it', () => {
  test('a fabfile planted by another user in a parent directory is refused; so is one in a directory anyone may write to; -f trusts it', async () => {
    const top = root();
    const mark = path.join(top, 'mark');
    const shared = path.join(top, 'shared');
    fs.mkdirSync(path.join(shared, 'work'), { recursive: true });
    fs.chmodSync(shared, 0o777);
    const fabfile = path.join(shared, 'fabfile.mjs');
    const source = path.join(top, 'planted.src');
    fs.writeFileSync(source, planted(mark), { mode: 0o644 });
    asNobody(`cp ${source} ${fabfile}`);
    assert.equal(fs.statSync(fabfile).uid, NOBODY);
    const cwd = path.join(shared, 'work');
    const home = path.join(top, 'home');
    fs.mkdirSync(home);

    let run = await fab(['hello'], { cwd, env: { HOME: home } });
    oneLine(run, 2, new RegExp(`^fab: error: refusing to load ${fabfile}: it is owned by nobody \\(uid ${NOBODY}\\), not by you or root; .*-f`));
    assert.equal(fs.existsSync(mark), false, 'the planted fabfile never ran');

    // Root's own file, but in a directory any user may write to (no sticky bit): anyone could have replaced it.
    fs.chownSync(fabfile, 0, 0);
    run = await fab(['hello'], { cwd, env: { HOME: home } });
    oneLine(run, 2, new RegExp(`^fab: error: refusing to load ${fabfile}: its directory ${shared} is writable by every user`));
    assert.equal(fs.existsSync(mark), false);

    // With the sticky bit (as /tmp) others cannot replace what is not theirs.
    fs.chmodSync(shared, 0o1777);
    run = await fab(['hello'], { cwd, env: { HOME: home } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /hello from the fabfile/);
    fs.rmSync(mark);

    // Named with -f, the file is the user's explicit choice.
    fs.chownSync(fabfile, NOBODY, NOBODY);
    fs.chmodSync(shared, 0o777);
    run = await fab(['-f', fabfile, 'hello'], { cwd, env: { HOME: home } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /hello from the fabfile/);

    // Root under sudo trusts the user who ran sudo (SUDO_UID), as git does: `sudo fab` in one's own project.
    fs.chmodSync(shared, 0o755);
    fs.rmSync(mark);
    run = await fab(['hello'], { cwd, env: { HOME: home, SUDO_UID: String(NOBODY) } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /hello from the fabfile/);
  });

  test('a project config owned by another user is refused, code or data (fab.config.mjs, fab.config.json, package.json#fab, ~/.fabrc.yaml); -c trusts it', async () => {
    const top = root({ 'app/fabfile.mjs': "import { env } from 'fabts';\nexport function hello() { console.log('level=' + env.level); }\n" });
    const mark = path.join(top, 'mark');
    const cwd = path.join(top, 'app');
    const home = path.join(top, 'home');
    fs.mkdirSync(home);
    const cases: [string, string][] = [
      ['fab.config.mjs', `import fs from 'node:fs';\nfs.writeFileSync(${JSON.stringify(mark)}, 'ran');\nexport default { level: 'planted' };\n`],
      ['fab.config.json', '{ "level": "planted" }'],
      ['package.json', '{ "fab": { "level": "planted" } }'],
    ];
    for (const [name, text] of cases) {
      const file = path.join(top, name);
      fs.writeFileSync(file, text);
      fs.chownSync(file, NOBODY, NOBODY);
      const run = await fab(['hello'], { cwd, env: { HOME: home } });
      oneLine(run, 2, new RegExp(`^fab: error: refusing to load ${file}: it is owned by nobody \\(uid ${NOBODY}\\), not by you or root; .*-c`));
      assert.equal(fs.existsSync(mark), false, `${name} never ran`);
      fs.rmSync(file);
    }
    const userFile = path.join(home, '.fabrc.yaml');
    fs.writeFileSync(userFile, 'level: planted\n');
    fs.chownSync(userFile, NOBODY, NOBODY);
    oneLine(await fab(['hello'], { cwd, env: { HOME: home } }), 2, /refusing to load .*\.fabrc\.yaml: it is owned by nobody/);

    // -c names the file: trusted.
    fs.rmSync(userFile);
    const explicit = path.join(top, 'fab.config.mjs');
    fs.writeFileSync(explicit, "export default { level: 'chosen' };\n");
    fs.chownSync(explicit, NOBODY, NOBODY);
    const run = await fab(['-c', explicit, 'hello'], { cwd, env: { HOME: home } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /level=chosen/);
  });
});

describe('--log-dir never writes through a file another user could have planted', () => {
  const FABFILE = "import { local } from 'fabts';\nexport async function hello() { await local('echo logged-line'); }\n";
  const victimText = 'precious\n';

  function victim(top: string): string {
    const file = path.join(top, 'victim');
    fs.writeFileSync(file, victimText);
    fs.chmodSync(file, 0o644);
    return file;
  }
  function untouched(file: string): void {
    assert.equal(fs.readFileSync(file, 'utf8'), victimText, 'the target is unchanged');
    assert.equal(fs.statSync(file).mode & 0o777, 0o644, 'its mode too');
  }

  test('a log directory others may write to, or owned by another user, is refused before anything runs', async () => {
    const top = root({ 'fabfile.mjs': FABFILE });
    const target = victim(top);
    const shared = path.join(top, 'shared-logs');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o777);
    asNobody(`ln -s ${target} ${shared}/run.log && ln -s ${target} ${shared}/localhost.log`);
    oneLine(await fab(['--log-dir', shared, 'hello'], { cwd: top }), 2, new RegExp(`^fab: error: --log-dir ${shared}: writable by other users`));
    untouched(target);

    const theirs = path.join(top, 'their-logs');
    fs.mkdirSync(theirs, { mode: 0o755 });
    fs.chownSync(theirs, NOBODY, NOBODY);
    oneLine(await fab(['--log-dir', theirs, 'hello'], { cwd: top }), 2, new RegExp(`^fab: error: --log-dir ${theirs}: owned by nobody \\(uid ${NOBODY}\\)`));
    assert.deepEqual(fs.readdirSync(theirs), []);
  });

  test('in this user\'s own directory, a symbolic link or another user\'s file in place of a log is refused, never followed nor chmod-ed', async () => {
    const top = root({ 'fabfile.mjs': FABFILE });
    const target = victim(top);
    const logs = path.join(top, 'logs');
    fs.mkdirSync(logs, { mode: 0o700 });

    fs.symlinkSync(target, path.join(logs, 'run.log'));
    oneLine(await fab(['--log-dir', logs, 'hello'], { cwd: top }), 2, new RegExp(`^fab: error: --log-dir: ${logs}/run\\.log is a symbolic link`));
    untouched(target);
    fs.rmSync(path.join(logs, 'run.log'));

    fs.symlinkSync(target, path.join(logs, 'localhost.log'));
    let run = await fab(['--log-dir', logs, 'hello'], { cwd: top });
    assert.notEqual(run.code, 0, 'the run fails');
    assert.match(run.stderr, new RegExp(`--log-dir: ${logs}/localhost\\.log is a symbolic link`));
    untouched(target);
    fs.rmSync(path.join(logs, 'localhost.log'));

    const foreign = path.join(logs, 'run.log');
    fs.writeFileSync(foreign, 'theirs\n', { mode: 0o666 });
    fs.chmodSync(foreign, 0o666);
    fs.chownSync(foreign, NOBODY, NOBODY);
    oneLine(await fab(['--log-dir', logs, 'hello'], { cwd: top }), 2, new RegExp(`^fab: error: --log-dir: ${foreign} is owned by nobody`));
    assert.equal(fs.readFileSync(foreign, 'utf8'), 'theirs\n');
    assert.equal(fs.statSync(foreign).mode & 0o777, 0o666);
    fs.rmSync(foreign);

    // And with nothing planted, logs are written (0600) as before.
    run = await fab(['--log-dir', logs, 'hello'], { cwd: top });
    assert.equal(run.code, 0, run.stderr);
    assert.match(fs.readFileSync(path.join(logs, 'localhost.log'), 'utf8'), /out: logged-line/);
    assert.equal(fs.statSync(path.join(logs, 'run.log')).mode & 0o777, 0o600);
  });
});

describe('tsx\'s cache of compiled TypeScript ($TMPDIR/tsx-<uid>) is used only when no other user can write to it', () => {
  test('another user who made the directory first cannot swap compiled code into the fabfile', async () => {
    const top = root({ 'fabfile.ts': "export function hello(): void { console.log('hello from ts'); }\n" });
    const tmp = path.join(top, 'tmp');
    fs.mkdirSync(tmp);
    fs.chmodSync(tmp, 0o1777); // as /tmp
    const cache = path.join(tmp, `tsx-${process.geteuid!()}`);
    asNobody(`mkdir ${cache} && chmod 755 ${cache}`);
    const env = { TMPDIR: tmp };

    let run = await fab(['hello'], { cwd: top, env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /hello from ts/);
    // The directory's owner rewrites whatever compiled code fab left there (they may replace files in their directory).
    asNobody(`cd ${cache} && for f in *; do [ -f "$f" ] || continue; sed 's/hello from ts/PWNED by nobody/' "$f" > "$f.new" && rm -f "$f" && mv "$f.new" "$f"; done; true`);
    run = await fab(['hello'], { cwd: top, env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /hello from ts/);
    assert.doesNotMatch(run.stdout, /PWNED/);
    assert.deepEqual(fs.readdirSync(cache), [], 'fab wrote nothing into the other user\'s directory');

    // A directory of fab's own is used as before.
    fs.rmSync(cache, { recursive: true });
    run = await fab(['hello'], { cwd: top, env });
    assert.match(run.stdout, /hello from ts/, run.stderr);
    assert.equal(fs.statSync(cache).uid, process.geteuid!());
    assert.ok(fs.readdirSync(cache).length > 0, 'tsx cached the compiled fabfile');
  });
});
