// Faults on the real test bed (issue 8, faults 2 and 3), in process: the sshd serving a connection killed in the
// middle of a command, the bastion's killed in the middle of a run, a host frozen with SIGSTOP. Only the sshd
// processes of this test's own connections are touched, never a test bed daemon.
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import { FabError, run, settings } from '../../src/index.ts';
import { events } from '../../src/report/events.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import { processesMatching } from '../support/processes.ts';
import { onHost, useTestbed, type Testbed } from '../support/remote.ts';
import { bastionSshdOf, signalAll, sshdOfCommand, type SshdConnection } from '../support/sshd-sessions.ts';
import { startSshd } from '../support/sshd.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

let tb: Testbed;
before(() => {
  tb = useTestbed();
});
afterEach(() => closeAll());

let markers = 0;
/** A word unique to this test run, to find (and end) the remote commands it started. */
function marker(): string {
  return `${process.pid}${Date.now() % 100000}${markers++}`;
}

/** Ends the remote processes a dead connection left behind (the server's orphans, not fab's), by pid. */
function endOrphans(mark: string): void {
  signalAll(processesMatching(mark).map((line) => Number(line.split(':')[0])), 'SIGKILL');
}

/** Resolves with the first line a host prints (the remote command's `$PPID`). */
function firstLineFrom(host: string): Promise<number> {
  return new Promise((resolve) => {
    const stop = events.subscribe((event) => {
      if (event.kind === 'output' && event.host === host && event.stream === 'stdout') {
        stop();
        resolve(Number(event.text.split('\n')[0]));
      }
    });
  });
}

/** Runs fn; resolves with its error (failing the test if it succeeds) and how long it took. */
async function failure(fn: () => Promise<unknown>): Promise<{ error: FabError; ms: number }> {
  const started = Date.now();
  const error = await fn().then(
    (value) => assert.fail(`expected a failure, got ${String(value)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FabError, String(error));
  return { error, ms: Date.now() - started };
}

describe('a host whose sshd dies', () => {
  it('sshd killed in the middle of a command: that host fails within seconds, saying so; another host at the same time is unaffected; the next command reconnects', async () => {
    const mark = marker();
    const pid = firstLineFrom('direct');
    const dying = failure(() => onHost('direct', () => run(`echo $PPID; sleep 30.${mark}`)));
    const other = onHost('web1', () => run('sleep 2; echo web1-done'));
    let sshd: SshdConnection | undefined;
    try {
      sshd = sshdOfCommand(await pid);
      signalAll([sshd.session, sshd.monitor], 'SIGKILL');
      const { error, ms } = await dying;
      assert.equal(error.code, 'CONNECTION_LOST');
      assert.equal(error.host, 'direct');
      assert.match(error.message, /^direct: the connection was lost while the command ran/);
      assert.ok(ms < 10_000, `failed after ${ms} ms`);
      assert.equal(String(await other), 'web1-done', 'the other host went on');
      assert.equal(String(await onHost('direct', () => run('echo back'))), 'back', 'a new connection replaces the dead one');
    } finally {
      endOrphans(mark);
    }
  });

  it('the bastion killed in the middle of a run: web1 and web2 fail within seconds, direct is unaffected, and web1 is reached again through a new bastion connection', async () => {
    const mark = marker();
    const started = Date.now();
    const web1 = failure(() => onHost('web1', () => run(`echo started; sleep 30.${mark}`)));
    const web2 = failure(() => onHost('web2', () => run(`echo started; sleep 30.${mark}`)));
    const direct = onHost('direct', () => run('sleep 3; echo direct-done'));
    try {
      while (processesMatching(`sleep 30.${mark}`).filter((line) => /^\d+: sleep /.test(line)).length < 2) {
        assert.ok(Date.now() - started < 20_000, 'the commands on web1 and web2 started');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const bastion = bastionSshdOf(tb, process.pid);
      signalAll([bastion.session, bastion.monitor], 'SIGKILL');
      const killedAt = Date.now();
      for (const [host, pending] of [['web1', web1], ['web2', web2]] as const) {
        const { error } = await pending;
        assert.equal(error.code, 'CONNECTION_LOST', error.message);
        assert.match(error.message, new RegExp(`^${host}: the connection was lost`));
        assert.ok(Date.now() - killedAt < 10_000, `${host} failed ${Date.now() - killedAt} ms after the kill`);
      }
      assert.equal(String(await direct), 'direct-done', 'direct does not go through the bastion and finished');
      assert.equal(String(await onHost('web1', () => run('echo web1-back'))), 'web1-back');
    } finally {
      endOrphans(mark);
    }
  });
});

describe('a frozen host (its sshd session stopped with SIGSTOP)', () => {
  /** Freezes the sshd session serving direct's pooled connection; returns a function that thaws and ends it. */
  async function freezeDirect(settings: Record<string, unknown>): Promise<() => void> {
    useTestbed(settings);
    const sshd = sshdOfCommand(Number(String(await onHost('direct', () => run('echo $PPID', { hide: true })))));
    signalAll([sshd.session], 'SIGSTOP');
    return () => {
      signalAll([sshd.session], 'SIGCONT');
      signalAll([sshd.session, sshd.monitor], 'SIGKILL');
    };
  }

  it('commandTimeout ends a command that started before the freeze, and one that starts after it; the connection is dropped and the next command reconnects', async () => {
    const mark = marker();
    useTestbed({ commandTimeout: 2 });
    const pid = firstLineFrom('direct');
    const frozen = failure(() => onHost('direct', () => run(`echo $PPID; sleep 30.${mark}`)));
    const sshd = sshdOfCommand(await pid);
    signalAll([sshd.session], 'SIGSTOP');
    try {
      const running = await frozen;
      assert.equal(running.error.code, 'TIMEOUT');
      assert.match(running.error.message, new RegExp(`^command timed out after 2s on direct: echo \\$PPID; sleep 30\\.${mark}$`));
      // 2 s, then SIGTERM and 1 s, then SIGKILL and the channel closed, then at most 3 s waiting for an answer.
      assert.ok(running.ms < 2000 + 4000 + 3000, `ended after ${running.ms} ms`);

      const next = await failure(() => onHost('direct', () => run('echo never')));
      assert.equal(next.error.code, 'TIMEOUT');
      assert.equal(next.error.message, 'direct: the host did not answer a channel request within 2s (is it frozen?); its connection is dropped');
      assert.ok(next.ms < 2000 + 3000, `ended after ${next.ms} ms`);
      assert.equal(String(await onHost('direct', () => run('echo reconnected'))), 'reconnected');
    } finally {
      signalAll([sshd.session], 'SIGCONT');
      signalAll([sshd.session, sshd.monitor], 'SIGKILL');
      endOrphans(mark);
    }
  });

  it('keepalive finds the frozen connection within interval x (count + 1) and says so; the next command reconnects', async () => {
    const thaw = await freezeDirect({ keepalive: 1 });
    try {
      const { error, ms } = await failure(() => onHost('direct', () => run('echo never')));
      assert.equal(error.code, 'CONNECTION_LOST');
      assert.equal(error.message, 'direct: the connection was lost (no answer to 3 keepalives 1s apart)');
      assert.ok(ms < 1000 * 4 + 4000, `found after ${ms} ms`);
      assert.equal(String(await onHost('direct', () => run('echo reconnected'))), 'reconnected');
    } finally {
      thaw();
    }
  });
});

describe('a server dropping connections past its MaxStartups', () => {
  it('a connection closed before the SSH banner is tried again, so none of the hosts fails', async () => {
    // MaxStartups 1: sshd drops every new connection while another one is still unauthenticated.
    const sshd = await startSshd(tb, { configLines: ['MaxStartups 1'] });
    const proxies = await Promise.all(Array.from({ length: 4 }, async () => new TcpProxy(await TcpProxy.freePort(), { host: '127.0.0.1', port: sshd.port }).listen()));
    const retries: string[] = [];
    const stop = events.subscribe((event) => event.kind === 'debug' && /dropped the connection before its banner/.test(event.message) && retries.push(event.host!));
    try {
      const hosts = proxies.map((proxy) => `127.0.0.1:${proxy.port}`);
      const raw = { user: tb.user, keyFilename: [tb.keyPath], hostKeyPolicy: 'off', maxStartups: 4 };
      const outputs = await Promise.all(hosts.map((host) => onHost(host, () => settings(raw, () => run('echo reached')))));
      assert.deepEqual(outputs.map(String), hosts.map(() => 'reached'));
      assert.ok(retries.length > 0, 'sshd dropped some of the four handshakes started at once');
      assert.equal(proxies.reduce((sum, proxy) => sum + proxy.accepted, 0), 4 + retries.length);
    } finally {
      stop();
      await Promise.all(proxies.map((proxy) => proxy.close()));
      sshd.stop();
    }
  });
});
