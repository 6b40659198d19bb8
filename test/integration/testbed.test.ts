// The test bed itself, checked with the real OpenSSH client: every other integration test stands on it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAlive } from '../hosts/procs.ts';
import {
  countBastionConnections,
  hasTestbed,
  loadTestbed,
  startTestbed,
  stopTestbed,
  type Testbed,
  type TestbedHostName,
} from '../hosts/testbed.ts';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return new Promise<Ran>((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

const needsRoot =
  !hasTestbed() && process.getuid?.() !== 0
    ? 'needs root: the test bed creates a network namespace, a test user and a sudoers entry (run `sudo npm test`)'
    : false;

describe('the real-sshd test bed', { skip: needsRoot }, () => {
  let tb: Testbed;
  let ownTestbed = false;
  const ssh = (host: string, command: string, input?: string, extra: string[] = []) =>
    exec('ssh', ['-F', tb.sshConfigPath, '-o', 'BatchMode=yes', ...extra, host, command], { input });

  before(async () => {
    if (hasTestbed()) tb = loadTestbed();
    else {
      tb = await startTestbed();
      ownTestbed = true;
    }
  });
  after(async () => {
    if (ownTestbed) await stopTestbed(tb);
  });

  for (const host of ['direct', 'bastion', 'web1', 'web2'] as TestbedHostName[]) {
    it(`${host} answers as fabtest with the test key, its host key checked strictly`, async () => {
      const r = await ssh(host, 'id -un; echo "$SSH_CONNECTION"');
      assert.equal(r.code, 0, r.stderr);
      const [user, connection] = r.stdout.trim().split('\n');
      assert.equal(user, 'fabtest');
      // The bastion's sshd runs in inetd mode on a socketpair from socat, so it knows no addresses.
      if (host !== 'bastion') assert.equal(connection?.split(' ')[3], String(tb.hosts[host].port));
    });
  }

  it('web1 and web2 cannot be reached from outside the namespace, only through the bastion', async () => {
    for (const port of [tb.hosts.web1.port, tb.hosts.web2.port]) {
      const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        const sock = net.connect({ host: '127.0.0.1', port });
        sock.on('connect', () => {
          sock.destroy();
          resolve(undefined);
        });
        sock.on('error', resolve);
      });
      assert.equal(err?.code, 'ECONNREFUSED', `127.0.0.1:${port} must be refused outside ${tb.netns}`);
    }
    assert.equal(tb.hosts.web1.via, 'bastion');
  });

  it('counts the connections the bastion holds', async () => {
    const settled = async () => {
      // Connections from earlier tests may still be closing: wait for two equal readings.
      for (let last = -1, i = 0; i < 100; i++) {
        const now = countBastionConnections(tb);
        if (now === last) return now;
        last = now;
        await new Promise((r) => setTimeout(r, 100));
      }
      return countBastionConnections(tb);
    };
    const before = await settled();
    const child = spawn('ssh', ['-F', tb.sshConfigPath, '-o', 'BatchMode=yes', 'web2', 'echo ready; exec sleep 60'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.on('exit', (code) => reject(new Error(`ssh web2 exited early with ${code}`)));
      });
      assert.equal(countBastionConnections(tb), before + 1);
    } finally {
      child.kill('SIGKILL');
    }
    const deadline = Date.now() + 10000;
    while (countBastionConnections(tb) > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await settled(), before);
  });

  it('sudo asks fabtest for its password, accepts it, and asks again every time', async () => {
    const r = await ssh('web1', "sudo -S -p 'FABTS-SUDO:' id -u && sudo -S -p 'FABTS-SUDO:' id -un", `${tb.password}\n${tb.password}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', 'root']);
    assert.equal(r.stderr.split('FABTS-SUDO:').length - 1, 2, `two prompts expected in: ${r.stderr}`);
  });

  it('sudo refuses a wrong password and never runs without one', async () => {
    const wrong = await ssh('direct', "sudo -S -p 'FABTS-SUDO:' id -u", 'not-the-password\n');
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /FABTS-SUDO:/);
    assert.equal(wrong.stdout, '');
    const none = await ssh('direct', 'sudo -n true');
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /password is required/);
  });

  it('accepts fabtest password logins and the encrypted key with its passphrase', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-askpass-'));
    try {
      const askpass = path.join(work, 'askpass');
      fs.writeFileSync(askpass, '#!/bin/sh\nprintf "%s\\n" "$FABTS_SECRET"\n', { mode: 0o700 });
      const { hosts, knownHostsPath, user } = tb;
      const base = [
        '-F', '/dev/null', '-p', String(hosts.direct.port),
        '-o', `UserKnownHostsFile=${knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=no',
      ];
      const env = (secret: string) => ({ ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', FABTS_SECRET: secret });
      const byPassword = await exec(
        'ssh',
        [...base, '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive',
          `${user}@127.0.0.1`, 'id -un'],
        { env: env(tb.password) },
      );
      assert.equal(byPassword.code, 0, byPassword.stderr);
      assert.equal(byPassword.stdout.trim(), 'fabtest');
      const byEncryptedKey = await exec(
        'ssh',
        [...base, '-i', tb.encryptedKeyPath, '-o', 'IdentitiesOnly=yes', '-o', 'PreferredAuthentications=publickey',
          `${user}@127.0.0.1`, 'id -un'],
        { env: env(tb.keyPassphrase) },
      );
      assert.equal(byEncryptedKey.code, 0, byEncryptedKey.stderr);
      assert.equal(byEncryptedKey.stdout.trim(), 'fabtest');
      const badPassphrase = await exec('ssh-keygen', ['-y', '-P', 'wrong', '-f', tb.encryptedKeyPath]);
      assert.notEqual(badPassphrase.code, 0, 'the encrypted key must really be encrypted');
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('known_hosts holds every host under [127.0.0.1]:port and under its alias', () => {
    for (const h of Object.values(tb.hosts)) {
      for (const name of [`[127.0.0.1]:${h.port}`, `[${h.alias}]:${h.port}`, h.alias]) {
        const found = spawnSync('ssh-keygen', ['-F', name, '-f', tb.knownHostsPath], { encoding: 'utf8' });
        assert.equal(found.status, 0, `${name} missing from known_hosts`);
        assert.ok(found.stdout.includes(h.hostKey), `${name} has the wrong key`);
      }
    }
  });

  it('serves SFTP, also behind the bastion, and gives fabtest its own remote dir', async () => {
    for (const host of ['direct', 'web1']) {
      const r = await exec('sftp', ['-F', tb.sshConfigPath, '-o', 'BatchMode=yes', '-b', '-', host], {
        input: `cd ${tb.remoteDir}\npwd\n`,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Remote working directory: ${tb.remoteDir}`));
    }
    const w = await ssh('web2', `touch ${tb.remoteDir}/probe && stat -c %U ${tb.remoteDir}/probe && rm ${tb.remoteDir}/probe`);
    assert.equal(w.stdout.trim(), 'fabtest', w.stderr);
  });

  it('a second test bed runs alongside and leaves nothing behind when stopped', async () => {
    const t0 = Date.now();
    const other = await startTestbed();
    const upMs = Date.now() - t0;
    let stopped = false;
    try {
      assert.notEqual(other.netns, tb.netns);
      assert.notEqual(other.hosts.direct.port, tb.hosts.direct.port);
      const r = await exec('ssh', ['-F', other.sshConfigPath, '-o', 'BatchMode=yes', 'web1', 'id -un']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'fabtest');
      const t1 = Date.now();
      await stopTestbed(other);
      stopped = true;
      const downMs = Date.now() - t1;
      console.log(`second test bed: up in ${upMs} ms, down in ${downMs} ms`);
      for (const p of other.processes) assert.ok(!isAlive(p.pid, p.startTime), `${p.name} (pid ${p.pid}) still alive`);
      const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
      assert.ok(!namespaces.split('\n').some((l) => l.split(' ')[0] === other.netns), `${other.netns} still exists`);
      assert.ok(!fs.existsSync(other.dir), `${other.dir} still exists`);
      await stopTestbed(other); // idempotent
    } finally {
      if (!stopped) await stopTestbed(other);
    }
    // ... and the first one still works, password included.
    const r = await ssh('direct', "sudo -S -p '' id -u", `${tb.password}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0');
  });
});
