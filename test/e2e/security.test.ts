// Secrets through the built `fab` (issue 8, "Security"): a run that uses a login password, a key passphrase and a
// sudo password at once, watched from outside the whole time. None of the three may appear in the argv or the
// environment of any process on the machine (the test hosts are this machine: remote processes included), nor in
// --log-dir logs, --json, --show debug output or error messages; logs are 0600. Then the same with three wrong
// secrets, whose errors must not quote them either.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FAB_BIN, collectRun, makeProject, type FabRun } from '../support/fab.ts';
import { loadTestbed } from '../support/remote.ts';
import { hostBlock } from '../support/ssh-env.ts';

const tb = loadTestbed();

const FABFILE = `
import { env, run, sudo, task } from 'fabts';

export const deploy = task({ parallel: true }, async () => {
  await run('sleep 0.5; echo running as $(id -un)');
  await sudo('sleep 0.5; id -un');
  return env.host;
});
`;

/**
 * A project whose ~/.ssh/config makes each host authenticate its own way: direct with the encrypted key (the
 * passphrase), web1 with the password (HOME has no keys), web2 with the encrypted key, the bastion with the plain key.
 */
function project(secrets: { password: string; sudoPassword: string; keyPassphrase: string }): string {
  const config = [
    hostBlock(tb, 'direct', 'direct', [`IdentityFile ${tb.encryptedKeyPath}`, 'IdentitiesOnly yes']),
    hostBlock(tb, 'bastion', 'bastion', [`IdentityFile ${tb.keyPath}`, 'IdentitiesOnly yes']),
    hostBlock(tb, 'web1', 'web1'),
    hostBlock(tb, 'web2', 'web2', [`IdentityFile ${tb.encryptedKeyPath}`, 'IdentitiesOnly yes']),
    'Host *',
    `  User ${tb.user}`,
    '',
  ].join('\n');
  const dir = makeProject(
    {
      'fabfile.ts': FABFILE,
      '.ssh/config': config,
      '.ssh/known_hosts': fs.readFileSync(tb.knownHostsPath, 'utf8'),
      // Secrets belong in config files (or prompts), never on the command line.
      '.fabrc.json': JSON.stringify({ ...secrets, noAgent: true }),
    },
    'fabts-e2e-secrets-',
  );
  fs.chmodSync(path.join(dir, '.ssh'), 0o700);
  return dir;
}

/** Every process's argv and environment, as text, read straight from /proc. */
function processTexts(): string[] {
  const texts: string[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    for (const part of ['cmdline', 'environ']) {
      try {
        texts.push(`${name} ${part}: ${fs.readFileSync(`/proc/${name}/${part}`, 'latin1').replace(/\0/g, ' ')}`);
      } catch {
        /* gone, or a kernel thread */
      }
    }
  }
  return texts;
}

/**
 * Runs fab while sampling the process table: `ps -eo args` (what any user sees) and /proc/<pid>/{cmdline,environ}
 * of every process, every few milliseconds until fab exits. Returns the run, how many samples were taken and
 * the lines that contained one of the secrets.
 */
async function watched(dir: string, args: string[], secrets: string[]): Promise<{ run: FabRun; samples: number; leaks: string[] }> {
  const child = spawn(process.execPath, [FAB_BIN, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running = collectRun(child, 120_000);
  let finished = false;
  void running.then(() => (finished = true));
  const leaks: string[] = [];
  let samples = 0;
  while (!finished) {
    const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n');
    for (const line of [...ps, ...processTexts()]) if (secrets.some((secret) => line.includes(secret))) leaks.push(line.slice(0, 300));
    samples++;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { run: await running, samples, leaks };
}

/** Everything the run left to read: stdout (--json), stderr (--show debug), and each log file. */
function outputsOf(run: FabRun, logs: string): [string, string][] {
  const files = fs.existsSync(logs) ? fs.readdirSync(logs).map((name) => [`log ${name}`, fs.readFileSync(path.join(logs, name), 'latin1')] as [string, string]) : [];
  return [['stdout (--json)', run.stdout], ['stderr (--show debug)', run.stderr], ...files];
}

describe('secrets never leak', () => {
  test('password, key passphrase and sudo password in use at once: in no process argv or environment, no log, no --json, no debug output; logs 0600', async () => {
    const secrets = { password: tb.password, sudoPassword: tb.password, keyPassphrase: tb.keyPassphrase };
    const dir = project(secrets);
    const logs = path.join(dir, 'logs');
    const { run, samples, leaks } = await watched(dir, ['-H', 'direct,web1,web2', '--show', 'debug', '--json', '--log-dir', logs, 'deploy'], [tb.password, tb.keyPassphrase]);
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as { tasks: { hosts: { host: string; status: string }[] }[] };
    assert.deepEqual(doc.tasks[0]!.hosts.map((host) => [host.host, host.status]), [['direct', 'ok'], ['web1', 'ok'], ['web2', 'ok']]);
    assert.match(run.stderr, /\[web1\] debug: fabtest@web1: trying keyboard-interactive/, 'web1 logged in with the password');
    assert.match(run.stderr, new RegExp(`\\[direct\\] debug: fabtest@direct: trying publickey ${tb.encryptedKeyPath}`), 'direct with the encrypted key');
    assert.ok(samples >= 20, `the process table was read ${samples} times during the run`);
    assert.deepEqual(leaks, [], 'no process showed a secret in its argv or environment');
    for (const [where, text] of outputsOf(run, logs)) {
      assert.ok(!text.includes(tb.password), `the password is not in ${where}`);
      assert.ok(!text.includes(tb.keyPassphrase), `the passphrase is not in ${where}`);
    }
    assert.deepEqual(fs.readdirSync(logs).sort(), ['bastion.log', 'direct.log', 'run.log', 'web1.log', 'web2.log']);
    for (const name of fs.readdirSync(logs)) assert.equal(fs.statSync(path.join(logs, name)).mode & 0o777, 0o600, `${name} is 0600`);
    assert.equal(fs.statSync(logs).mode & 0o777, 0o700);
    assert.match(fs.readFileSync(path.join(logs, 'direct.log'), 'utf8'), /answer: .* -> \*\*\*$/m, 'the sudo answer is logged as ***');
  });

  test('three wrong secrets: every host fails with a one-line error that quotes none of them, in any output', async () => {
    const wrong = { password: 'Wrong-Login-Password-1', sudoPassword: 'Wrong-Sudo-Password-2', keyPassphrase: 'Wrong-Key-Passphrase-3' };
    const dir = project(wrong);
    // direct logs in with the plain key here, so that its sudo gets (and refuses) the wrong sudo password.
    fs.writeFileSync(path.join(dir, '.ssh/config'), fs.readFileSync(path.join(dir, '.ssh/config'), 'utf8').replace(`IdentityFile ${tb.encryptedKeyPath}`, `IdentityFile ${tb.keyPath}`));
    const logs = path.join(dir, 'logs');
    const { run, leaks } = await watched(dir, ['-H', 'direct,web1,web2', '--show', 'debug', '--json', '--log-dir', logs, 'deploy'], Object.values(wrong));
    assert.equal(run.code, 1, run.stderr);
    const failed = run.stderr.split('\n').filter((line) => /Failed:/.test(line)).sort();
    assert.equal(failed.length, 3, run.stderr);
    assert.match(failed[0]!, /^\[direct\] Failed: deploy: sudo on direct refused the password from env\.sudoPassword \(wrong sudo password\)/);
    assert.match(failed[1]!, /^\[web1\] Failed: deploy: fabtest@web1: authentication failed \(tried: keyboard-interactive/);
    assert.match(failed[2]!, /^\[web2\] Failed: deploy: fabtest@web2: authentication failed .*id_ed25519_encrypted: wrong passphrase\./);
    assert.deepEqual(leaks, []);
    for (const [where, text] of outputsOf(run, logs)) {
      for (const [name, secret] of Object.entries(wrong)) assert.ok(!text.includes(secret), `the wrong ${name} is not in ${where}`);
    }
  });
});
