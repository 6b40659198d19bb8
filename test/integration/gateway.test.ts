// Gateways (bastions): the private hosts web1 and web2 are reachable only through the bastion.
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import { settings, run, FabError } from '../../src/index.ts';
import { runTask } from '../../src/exec/runner.ts';
import type { RegisteredTask } from '../../src/fabfile/registry.ts';
import { events, type FabEvent } from '../../src/report/events.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import { useTestbed, onHost, countBastionConnections, type Testbed } from '../support/remote.ts';

let tb: Testbed;
before(() => {
  tb = useTestbed();
});
afterEach(() => closeAll());

async function bastionConnectionsAfterClose(): Promise<number> {
  const deadline = Date.now() + 5000;
  while (countBastionConnections(tb) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return countBastionConnections(tb);
}

function task(name: string, fn: () => Promise<unknown>, options: RegisteredTask['options'] = {}): RegisteredTask {
  return { name, options, description: undefined, params: undefined, fn };
}

describe('through the bastion', () => {
  it('all private targets share ONE bastion connection, also when they run in parallel', async () => {
    assert.equal(await bastionConnectionsAfterClose(), 0, 'no bastion connection is left from earlier tests');
    const counts: number[] = [];
    const sample = setInterval(() => counts.push(countBastionConnections(tb)), 50);
    try {
      const work = task(
        'fanout',
        async () => {
          for (let i = 0; i < 5; i++) await Promise.all([run('sleep 0.1'), run('true')]);
          return String(await run('echo $SSH_CONNECTION'));
        },
        { parallel: true },
      );
      const outcomes = await runTask(work, { name: 'fanout', args: { _: [] } }, { hosts: ['web1', 'web2', 'bastion'] });
      assert.deepEqual(
        outcomes.map((outcome) => [outcome.host, outcome.ok]),
        [
          ['web1', true],
          ['web2', true],
          ['bastion', true],
        ],
      );
      // The server side of each connection: web1 and web2 answer on their own ports inside the namespace.
      assert.deepEqual(
        outcomes.slice(0, 2).map((outcome) => String(outcome.value).split(' ')[3]),
        [String(tb.hosts.web1.port), String(tb.hosts.web2.port)],
      );
    } finally {
      clearInterval(sample);
    }
    assert.ok(counts.length > 3, 'the run was sampled');
    assert.equal(Math.max(...counts), 1, `bastion connections seen: ${counts.join(',')}`);
  });

  it('env.gateway puts a target given by address behind the bastion', async () => {
    const result = await onHost(`127.0.0.1:${tb.hosts.web1.port}`, () =>
      settings({ gateway: 'bastion', user: tb.user, keyFilename: [tb.keyPath], knownHostsFile: tb.knownHostsPath, hostKeyPolicy: 'strict' }, () => run('echo $SSH_CONNECTION')),
    );
    assert.equal(String(result).split(' ')[3], String(tb.hosts.web1.port));
  });

  it('without the gateway the private host cannot be reached: a clear connect error', async () => {
    const error = await onHost(`127.0.0.1:${tb.hosts.web1.port}`, () =>
      settings({ useSshConfig: false, user: tb.user, keyFilename: [tb.keyPath], hostKeyPolicy: 'off' }, () => run('true')),
    ).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && error.code === 'CONNECT_FAILED', String(error));
    assert.match(error.message, /connection refused/);
  });

  it('a target the bastion cannot reach fails with a message naming the gateway', async () => {
    const error = await onHost('127.0.0.1:2299', () =>
      settings({ gateway: 'bastion', user: tb.user, keyFilename: [tb.keyPath], hostKeyPolicy: 'off' }, () => run('true')),
    ).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && error.code === 'CONNECT_FAILED', String(error));
    assert.match(error.message, /via bastion/);
    assert.match(error.message, /the gateway bastion could not reach it/);
  });

  it('announces the hop in connect events', async () => {
    const seen: FabEvent[] = [];
    const stop = events.subscribe((event) => event.kind === 'connect' && seen.push(event));
    try {
      await onHost('web2', () => run('true'));
    } finally {
      stop();
    }
    assert.ok(seen.some((event) => event.kind === 'connect' && event.host === 'web2' && event.state === 'connected' && event.via === 'bastion'), JSON.stringify(seen));
  });
});
