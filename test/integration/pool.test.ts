// The connection pool against real sshd servers: reuse, channel limits, handshake throttling, retries, timeouts,
// keepalive and reconnection.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { settings, run, FabError } from '../../src/index.ts';
import { events, type FabEvent } from '../../src/report/events.ts';
import { closeAll, connectionFor } from '../../src/ssh/pool.ts';
import { useTestbed, onHost, type Testbed } from '../support/remote.ts';
import { startSshd, type ExtraSshd } from '../support/sshd.ts';
import { TcpProxy, silentListener } from '../support/tcp-proxy.ts';

let tb: Testbed;
before(() => {
  tb = useTestbed();
});
afterEach(() => closeAll());

function connects(): { list: Extract<FabEvent, { kind: 'connect' }>[]; stop: () => void } {
  const list: Extract<FabEvent, { kind: 'connect' }>[] = [];
  const stop = events.subscribe((event) => event.kind === 'connect' && list.push(event));
  return { list, stop };
}

/** Settings for a host string the test bed's ssh_config does not name (a raw 127.0.0.1:port). */
function rawHostSettings(): Record<string, unknown> {
  return { user: tb.user, keyFilename: [tb.keyPath], hostKeyPolicy: 'off' };
}

describe('one pooled connection per host', () => {
  it('is opened lazily and shared by sequential and parallel operations and by later tasks', async () => {
    const { list, stop } = connects();
    try {
      await onHost('direct', () => run('true'));
      await onHost('direct', async () => {
        await Promise.all(Array.from({ length: 25 }, (_, i) => run(`echo ${i}`)));
        await run('true');
      });
    } finally {
      stop();
    }
    assert.equal(list.filter((event) => event.state === 'connecting').length, 1, JSON.stringify(list));
  });

  it('queues channels past the server session limit (MaxSessions) instead of failing them', async () => {
    const sshd = await startSshd(tb, { settings: { MaxSessions: '3' } });
    try {
      const host = `127.0.0.1:${sshd.port}`;
      const results = await onHost(host, () => settings(rawHostSettings(), () => Promise.all(Array.from({ length: 12 }, (_, i) => run(`sleep 0.2; echo ${i}`)))));
      assert.deepEqual(
        results.map((result) => String(result)),
        Array.from({ length: 12 }, (_, i) => String(i)),
      );
      const connection = await onHost(host, () => settings(rawHostSettings(), () => connectionFor(host)));
      assert.equal(connection.sessionLimit, 3, 'the pool learnt the server allows 3 channels');
    } finally {
      sshd.stop();
    }
  });
});

describe('opening connections', () => {
  let sshd: ExtraSshd;
  before(async () => {
    sshd = await startSshd(tb, { addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'] });
  });
  after(() => sshd.stop());

  it('keeps at most maxStartups handshakes in flight; the rest wait their turn and succeed', async () => {
    const hosts = [2, 3, 4, 5, 6, 7].map((n) => `127.0.0.${n}:${sshd.port}`);
    let inFlight = 0;
    let peak = 0;
    const stop = events.subscribe((event) => {
      if (event.kind !== 'connect') return;
      if (event.state === 'connecting') peak = Math.max(peak, ++inFlight);
      if (event.state === 'connected' || event.state === 'failed') inFlight--;
    });
    try {
      const outputs = await Promise.all(hosts.map((host) => onHost(host, () => settings({ ...rawHostSettings(), maxStartups: 2 }, () => run('echo $SSH_CONNECTION')))));
      assert.deepEqual(
        outputs.map((result) => String(result).split(' ')[2]),
        hosts.map((host) => host.split(':')[0]),
      );
    } finally {
      stop();
    }
    assert.equal(peak, 2);
  });

  it('times out a host that accepts TCP but never speaks SSH, within the connect timeout', async () => {
    const silent = await silentListener();
    try {
      const started = Date.now();
      const error = await onHost(`127.0.0.1:${silent.port}`, () => settings({ ...rawHostSettings(), timeout: 1 }, () => run('true'))).catch((e: unknown) => e);
      assert.ok(error instanceof FabError && error.code === 'CONNECT_FAILED', String(error));
      assert.match(error.message, /timed out after 1s/);
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    } finally {
      await silent.close();
    }
  });

  it('a refused connection is one clear error naming the host', async () => {
    const port = await TcpProxy.freePort();
    const error = await onHost(`127.0.0.1:${port}`, () => settings(rawHostSettings(), () => run('true'))).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && error.code === 'CONNECT_FAILED', String(error));
    assert.equal(error.message, `cannot connect to 127.0.0.1:${port} (127.0.0.1:${port}): connection refused; is sshd running and the port right?`);
  });

  it('retries connectionAttempts times, so a host that comes up late is reached', async () => {
    const port = await TcpProxy.freePort();
    const proxy = new TcpProxy(port, { host: '127.0.0.1', port: tb.hosts.direct.port });
    const late = setTimeout(() => void proxy.listen(), 400);
    try {
      const result = await onHost(`127.0.0.1:${port}`, () => settings({ ...rawHostSettings(), connectionAttempts: 3 }, () => run('echo reached')));
      assert.equal(String(result), 'reached');
    } finally {
      clearTimeout(late);
      await proxy.close();
    }
  });
});

describe('dead connections', () => {
  let proxy: TcpProxy;
  let host: string;
  before(async () => {
    proxy = await new TcpProxy(await TcpProxy.freePort(), { host: '127.0.0.1', port: tb.hosts.direct.port }).listen();
    host = `127.0.0.1:${proxy.port}`;
  });
  after(() => proxy.close());

  it('a pooled connection that died is reopened for the next operation instead of failing it', async () => {
    const { list, stop } = connects();
    try {
      await onHost(host, () => settings(rawHostSettings(), () => run('true')));
      proxy.cut();
      await waitFor(() => list.some((event) => event.state === 'closed' && event.host === host), 'the client noticed the closed link');
      const result = await onHost(host, () => settings(rawHostSettings(), () => run('echo again')));
      assert.equal(String(result), 'again');
    } finally {
      stop();
    }
    assert.equal(list.filter((event) => event.state === 'connected').length, 2);
  });

  it('keepalive notices a frozen link, fails the command on it quickly, and the next operation reconnects', async () => {
    const live = { ...rawHostSettings(), keepalive: 1 };
    await onHost(host, () => settings(live, () => run('true')));
    const started = Date.now();
    const pending = onHost(host, () => settings(live, () => run('sleep 1; echo never-seen'))).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    proxy.freeze();
    const error = await pending;
    assert.ok(error instanceof FabError && error.code === 'CONNECTION_LOST', String(error));
    assert.ok(Date.now() - started < 10000, `took ${Date.now() - started} ms`);
    const result = await onHost(host, () => settings(live, () => run('echo back')));
    assert.equal(String(result), 'back');
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
