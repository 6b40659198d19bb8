// run() over an exec channel on the real test bed hosts, directly and through the bastion.
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { Readable } from 'node:stream';
import { cd, prefix, shellEnv, path, settings, run, CommandError, FabError, Result } from '../../src/index.ts';
import { events, type FabEvent } from '../../src/report/events.ts';
import { useTestbed, onHost, closePoolAfter, type Testbed } from '../support/remote.ts';
import { processesMatching } from '../support/processes.ts';

let tb: Testbed;
before(() => {
  tb = useTestbed();
});
closePoolAfter();

for (const host of ['direct', 'web1']) {
  describe(`run() on ${host}`, () => {
    it('returns stdout, stderr, the exit code and the host in a Result', async () => {
      const result = await onHost(host, () => run('echo out; echo err >&2; whoami'));
      assert.ok(result instanceof Result);
      assert.equal(result.stdout, 'out\nfabtest\n');
      assert.equal(result.stderr, 'err\n');
      assert.equal(result.code, 0);
      assert.equal(result.host, host);
      assert.equal(String(result), 'out\nfabtest');
    });

    it('keeps the exit status of a command that ends at once (it arrives with the channel confirmation)', async () => {
      for (let i = 0; i < 5; i++) {
        const result = await onHost(host, () => run('echo quick; exit 7', { warnOnly: true }));
        assert.equal(result.code, 7);
        assert.equal(result.stdout, 'quick\n');
      }
    });

    it('throws CommandError carrying the Result on a non-zero exit, with the command and stderr tail in the message', async () => {
      const error = await onHost(host, () => run('echo boom >&2; exit 3')).catch((e: unknown) => e);
      assert.ok(error instanceof CommandError, String(error));
      assert.equal(error.result.code, 3);
      assert.equal(error.result.stderr, 'boom\n');
      assert.match(error.message, new RegExp(`command failed on ${host} with exit code 3: echo boom >&2; exit 3\\nboom`));
    });

    it('accepts listed exit codes and warns instead of throwing with warnOnly', async () => {
      const accepted = await onHost(host, () => settings({ okReturnCodes: [0, 2] }, () => run('exit 2')));
      assert.equal(accepted.ok, true);
      const warned = await onHost(host, () => run('exit 5', { warnOnly: true }));
      assert.equal(warned.ok, false);
      assert.equal(warned.failed, true);
      assert.equal(warned.code, 5);
    });

    it('reports a signal when the remote process is killed by one', async () => {
      const result = await onHost(host, () => run('kill -TERM $$', { warnOnly: true }));
      assert.equal(result.code, null);
      assert.equal(result.signal, 'SIGTERM');
      assert.equal(result.ok, false);
    });
  });
}

describe('run() composition and quoting', () => {
  it('exports env inline, so sshd AcceptEnv does not matter', async () => {
    const result = await onHost('direct', () => run('printf %s "$GREETING"', { env: { GREETING: "it's $(not run) `nor this`" } }));
    assert.equal(result.stdout, "it's $(not run) `nor this`");
  });

  it('composes cd, prefix, shellEnv and path with quoting, nested', async () => {
    const dir = `${tb.remoteDir}/with space 'quote'`;
    await onHost('direct', () => run`mkdir -p ${dir}/sub`);
    const result = await onHost('direct', () =>
      cd(dir, () =>
        cd('sub', () =>
          shellEnv({ A: 'x;y' }, () =>
            prefix('B=inner', () => path('/opt/fab tools', 'prepend', () => run('echo "$PWD|$A|$B|${PATH%%:*}"'))),
          ),
        ),
      ),
    );
    assert.equal(result.stdout.trim(), `${dir}/sub|x;y|inner|/opt/fab tools`);
  });

  it('the tagged template quotes every value as one word (arrays as several)', async () => {
    const hostile = ["a'b", '$(touch /tmp/fabts-pwned)', '`id`', 'c;d', 'line\nbreak', 'ünï'];
    const result = await onHost('web2', () => run`printf '<%s>' ${hostile}`);
    assert.equal(result.stdout, hostile.map((value) => `<${value}>`).join(''));
  });

  it('a cd into a missing directory fails the command, it does not run elsewhere', async () => {
    const error = await onHost('direct', () => cd(`${tb.remoteDir}/missing`, () => run('touch here'))).catch((e: unknown) => e);
    assert.ok(error instanceof CommandError);
    assert.notEqual(error.result.code, 0);
  });

  it('sends stdin from a string and from a stream', async () => {
    const fromString = await onHost('web1', () => run('tr a-z A-Z', { stdin: 'hello\n' }));
    assert.equal(fromString.stdout, 'HELLO\n');
    const fromStream = await onHost('web1', () => run('wc -c', { stdin: Readable.from([Buffer.alloc(100000, 1), Buffer.alloc(5, 2)]) }));
    assert.equal(fromStream.stdout.trim(), '100005');
  });

  it('runs with a pty when asked: one combined stream and a terminal on the other end', async () => {
    const result = await onHost('direct', () => run('test -t 0 && echo tty; echo err >&2', { pty: true }));
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /tty\r?\nerr/);
  });

  it('streams output as events while the command runs, attributed to the host', async () => {
    const seen: FabEvent[] = [];
    const stop = events.subscribe((event) => event.kind === 'output' && seen.push(event));
    try {
      const pending = onHost('web2', () => run('echo first; sleep 1; echo second'));
      const deadline = Date.now() + 900;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(seen.length, 1, 'the first line arrived while the command still ran');
      await pending;
    } finally {
      stop();
    }
    assert.deepEqual(
      seen.map((event) => event.kind === 'output' && [event.host, event.stream, event.text]),
      [
        ['web2', 'stdout', 'first\n'],
        ['web2', 'stdout', 'second\n'],
      ],
    );
  });
});

describe('run() timeouts', () => {
  it('ends the remote process when the timeout passes, and says so', async () => {
    const marker = uniqueSleep();
    const started = Date.now();
    const error = await onHost('web1', () => run(`${marker}; echo after`, { timeout: 1 })).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && error.code === 'TIMEOUT', String(error));
    assert.match(error.message, /timed out after 1s on web1/);
    assert.ok(Date.now() - started < 10000);
    await waitUntilGone(marker);
  });

  it('env.commandTimeout applies to every command', async () => {
    const marker = uniqueSleep();
    const started = Date.now();
    const error = await onHost('direct', () => settings({ commandTimeout: 1 }, () => run(`${marker} | cat; echo after`))).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && error.code === 'TIMEOUT', String(error));
    assert.ok(Date.now() - started < 10000);
    await waitUntilGone(marker);
  });
});

/** A command whose own process (not just its shell) can be found by its command line: `sleep 30.<unique digits>`. */
function uniqueSleep(): string {
  return `sleep 30.${process.pid}${Math.floor(Math.random() * 1e6)}`;
}

async function waitUntilGone(marker: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (processesMatching(marker).length > 0) {
    if (Date.now() > deadline) assert.fail(`a remote process with ${marker} is still running: ${processesMatching(marker).join('; ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
