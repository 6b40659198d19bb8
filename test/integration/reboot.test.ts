// reboot() without rebooting anything: the test hosts are this machine. The "reboot" command given to it only
// kills this connection's own per-connection sshd process (found by walking up from the command's shell), or,
// for the waiting tests, an sshd this test starts and stops itself. The test bed's daemons are never touched.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FabError, reboot, run } from '../../src/index.ts';
import { events, type FabEvent } from '../../src/report/events.ts';
import { descendants, isAlive, killAll, startTimeOf } from '../hosts/procs.ts';
import { closePoolAfter, loadTestbed, onHost, useTestbed, type Testbed } from '../support/remote.ts';

/** Kills the first `sshd: fabtest@...` ancestor of this shell: the session process of this one connection. */
const DROP_THIS_CONNECTION =
  'p=$$; while [ "$p" -gt 1 ]; do case "$(ps -o args= -p "$p")" in "sshd: fabtest@"*) kill -9 "$p"; exit 0;; esac; p=$(ps -o ppid= -p "$p" | tr -d " "); done; exit 1';

/** The pid of this connection's session sshd, as the remote side sees it. */
const SESSION_PID = 'p=$$; while [ "$p" -gt 1 ]; do case "$(ps -o args= -p "$p")" in "sshd: fabtest@"*) echo "$p"; exit 0;; esac; p=$(ps -o ppid= -p "$p" | tr -d " "); done; exit 1';

let tb: Testbed;
closePoolAfter();

function record(): { seen: FabEvent[]; stop: () => void } {
  const seen: FabEvent[] = [];
  return { seen, stop: events.subscribe((event) => seen.push(event)) };
}

describe('reboot() on the test bed hosts', () => {
  before(() => {
    tb = useTestbed({ sudoPassword: loadTestbed().password });
  });

  for (const host of ['direct', 'web1']) {
    it(`drops the connection, waits for the host to drop it, and reconnects (${host})`, async () => {
      const { seen, stop } = record();
      try {
        const [sessionBefore, sessionAfter, echoed] = await onHost(host, async () => {
          const before = String(await run(SESSION_PID, { hide: true }));
          await reboot({ command: DROP_THIS_CONNECTION, wait: 30 });
          const after = String(await run(SESSION_PID, { hide: true }));
          return [before, after, String(await run('echo still-here', { hide: true }))];
        });
        assert.match(sessionBefore, /^\d+$/);
        assert.notEqual(sessionAfter, sessionBefore, 'a fresh connection, served by a new session process');
        assert.ok(!isAlive(Number(sessionBefore)), 'the old session is gone');
        assert.equal(echoed, 'still-here');
        const states = seen.filter((event) => event.kind === 'connect' && event.host === host).map((event) => (event as { state: string }).state);
        assert.deepEqual(states.slice(-2), ['connecting', 'connected'], 'connected again after the drop');
        assert.ok(states.includes('closed'));
      } finally {
        stop();
      }
    });
  }

  it('a command that does not take the host down is a clear TIMEOUT within the bound', async () => {
    const started = Date.now();
    const error = await onHost('direct', () => reboot({ command: 'true', wait: 2 })).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && error.code === 'TIMEOUT', String(error));
    assert.match(error.message, /direct did not go down within 2s after "true"/);
    assert.ok(Date.now() - started < 10000);
  });
});

describe('reboot() waiting for a host that is down for a while', () => {
  // "phoenix": an sshd of this test's own (the direct host's config, another port), started and stopped here.
  let dir: string;
  let port: number;
  const daemons: { pid: number; startTime: number }[] = [];

  function startPhoenix(): void {
    const child = spawn('/usr/sbin/sshd', ['-D', '-f', path.join(tb.dir, 'hosts', 'direct', 'sshd_config'), '-E', path.join(dir, 'sshd.log'), '-p', String(port), '-o', 'ListenAddress=127.0.0.1'], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    daemons.push({ pid: child.pid!, startTime: startTimeOf(child.pid!) });
  }

  async function listening(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  }

  before(async () => {
    tb = loadTestbed();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-reboot-'));
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const hostKey = tb.hosts.direct.hostKey;
    fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
    const config = [
      fs.readFileSync(tb.sshConfigPath, 'utf8'),
      'Host phoenix',
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      '  User fabtest',
      `  IdentityFile ${tb.keyPath}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`,
      '  StrictHostKeyChecking yes',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'ssh_config'), config);
    useTestbed({ sudoPassword: tb.password, sshConfigPath: path.join(dir, 'ssh_config') });
  });

  /** Stops every phoenix sshd this test started, with its connections (by pid). */
  function stopPhoenix(): void {
    const victims = daemons.filter((d) => isAlive(d.pid, d.startTime)).flatMap((d) => [{ ...d, group: true }, ...descendants(d.pid).map((p) => ({ pid: p.pid, startTime: p.startTime }))]);
    killAll(victims);
  }

  after(() => {
    stopPhoenix();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function waitListening(): Promise<void> {
    const deadline = Date.now() + 10000;
    while (!(await listening())) {
      if (Date.now() > deadline) throw new Error(`phoenix sshd did not listen on ${port}: ${fs.readFileSync(path.join(dir, 'sshd.log'), 'utf8')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('keeps trying until the host answers again, then carries on', async () => {
    startPhoenix();
    await waitListening();
    const listener = daemons.at(-1)!.pid;
    let restartedAt = 0;
    const started = Date.now();
    const echoed = await onHost('phoenix', async () => {
      await run('true', { hide: true });
      // The "reboot": this host stops listening and drops this connection; it is back 3 s later.
      const command = `kill ${listener}; ${DROP_THIS_CONNECTION}`;
      const back = setTimeout(() => {
        restartedAt = Date.now();
        startPhoenix();
      }, 3000);
      try {
        await reboot({ command, wait: 30 });
      } finally {
        clearTimeout(back);
      }
      return String(await run('echo risen', { hide: true }));
    });
    assert.equal(echoed, 'risen');
    assert.ok(restartedAt > 0 && restartedAt - started >= 2500, 'reboot() returned only after the host was back');
    assert.ok(Date.now() - started < 30000);
  });

  it('gives up with a TIMEOUT naming the host when it is not back within the bound', async () => {
    stopPhoenix();
    startPhoenix();
    await waitListening();
    const listener = daemons.at(-1)!.pid;
    const started = Date.now();
    const error = await onHost('phoenix', () => reboot({ command: `kill ${listener}; ${DROP_THIS_CONNECTION}`, wait: 3 })).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && error.code === 'TIMEOUT', String(error));
    assert.match(error.message, /^phoenix did not come back within 3s after ".*": cannot connect to phoenix .*connection refused/);
    assert.equal(error.host, 'phoenix');
    const took = Date.now() - started;
    assert.ok(took >= 2000 && took < 15000, `took ${took} ms`);
  });
});
