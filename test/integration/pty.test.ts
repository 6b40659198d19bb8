// run/sudo with `pty: true` on the test bed: one combined stream, a sized terminal, and no process left behind.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { FabError, run, settings, sudo } from '../../src/index.ts';
import { events, type FabEvent } from '../../src/report/events.ts';
import { processesMatching } from '../support/processes.ts';
import { closePoolAfter, onHost, useTestbed, type Testbed } from '../support/remote.ts';

let tb: Testbed;
before(() => {
  tb = useTestbed();
});
closePoolAfter();

const unique = () => `${process.pid}${Math.floor(Math.random() * 1e6)}`;

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return check();
}

describe('pty: true', () => {
  it('gives one combined stream, in order, on a terminal sized 80x24 when fab has none', async () => {
    const result = await onHost('web1', () => run('echo out; echo err >&2; echo out-again; stty size; test -t 0 && echo stdin-is-a-tty', { pty: true, hide: true }));
    assert.equal(result.stderr, '');
    // The pty's \r\n line ends come back as \n.
    assert.equal(result.stdout, 'out\nerr\nout-again\n24 80\nstdin-is-a-tty\n');
  });

  it('env.pty turns it on for every command in a scope', async () => {
    const result = await onHost('direct', () => settings({ pty: true }, () => run('test -t 1 && echo tty', { hide: true })));
    assert.equal(String(result).trim(), 'tty');
    const without = await onHost('direct', () => run('test -t 1 && echo tty || echo no-tty', { hide: true }));
    assert.equal(String(without), 'no-tty');
  });

  for (const host of ['direct', 'web2']) {
    it(`the remote process ends with the channel when a command under a pty times out (${host})`, async () => {
      const marker = `sleep 3000.${unique()}`;
      const pending = onHost(host, () => run(`${marker}; echo never`, { pty: true, timeout: 2, hide: true })).catch((e: unknown) => e);
      assert.ok(await waitUntil(() => processesMatching(marker).length > 0, 5000), 'the command was seen running');
      const error = await pending;
      assert.ok(error instanceof FabError && error.code === 'TIMEOUT', String(error));
      assert.ok(await waitUntil(() => processesMatching(marker).length === 0, 5000), `still running: ${processesMatching(marker).join('; ')}`);
    });
  }

  it('a process that ignores SIGTERM still ends when the channel of its pty closes (hangup)', async () => {
    const marker = `sleep 3002.${unique()}`;
    const pending = onHost('web1', () => run(`trap '' TERM; ${marker}`, { pty: true, timeout: 2, hide: true })).catch((e: unknown) => e);
    assert.ok(await waitUntil(() => processesMatching(marker).length > 0, 5000), 'the command was seen running');
    assert.equal((await pending as FabError).code, 'TIMEOUT');
    assert.ok(await waitUntil(() => processesMatching(marker).length === 0, 5000), `still running: ${processesMatching(marker).join('; ')}`);
  });

  it('without a pty, a command that ignores SIGTERM is killed on timeout instead of holding the channel (and fab) forever', async () => {
    const marker = `sleep 3003.${unique()}`;
    const pending = onHost('web2', () => run(`trap '' TERM; ${marker}`, { timeout: 1, hide: true })).catch((e: unknown) => e);
    assert.ok(await waitUntil(() => processesMatching(marker).length > 0, 5000), 'the command was seen running');
    assert.equal((await pending as FabError).code, 'TIMEOUT');
    assert.ok(await waitUntil(() => processesMatching(marker).length === 0, 5000), `still running: ${processesMatching(marker).join('; ')}`);
  });

  it('sudo under a pty: the password is answered, never echoed, and the process ends on timeout', async () => {
    const seen: FabEvent[] = [];
    const stop = events.subscribe((event) => seen.push(event));
    try {
      const result = await onHost('web1', () => settings({ sudoPassword: tb.password }, () => sudo('id -u; stty size', { pty: true, hide: true })));
      assert.equal(result.stdout, '0\n24 80\n', 'no empty line where the password was answered');
      assert.ok(!JSON.stringify(seen.map((event) => ('bytes' in event ? { ...event, bytes: String(event.bytes) } : event))).includes(tb.password));
      const marker = `sleep 3001.${unique()}`;
      const pending = onHost('web1', () => settings({ sudoPassword: tb.password }, () => sudo(marker, { pty: true, timeout: 2, hide: true }))).catch((e: unknown) => e);
      assert.ok(await waitUntil(() => processesMatching(marker).length > 0, 5000), 'the command was seen running as root');
      assert.equal((await pending as FabError).code, 'TIMEOUT');
      assert.ok(await waitUntil(() => processesMatching(marker).length === 0, 5000), `still running: ${processesMatching(marker).join('; ')}`);
    } finally {
      stop();
    }
  });
});
