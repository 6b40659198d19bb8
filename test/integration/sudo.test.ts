// sudo() against the test bed's real sudo, which always asks the test user for its password (one try).
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { cd, settings, sudo, CommandError, FabError } from '../../src/index.ts';
import { events, type FabEvent } from '../../src/report/events.ts';
import { useTestbed, onHost, closePoolAfter, type Testbed } from '../support/remote.ts';
import { processesMatching } from '../support/processes.ts';

let tb: Testbed;
before(() => {
  tb = useTestbed();
});
closePoolAfter();

function recordEvents(): { list: FabEvent[]; stop: () => void } {
  const list: FabEvent[] = [];
  const stop = events.subscribe((event) => list.push(event));
  return { list, stop };
}

describe('sudo()', () => {
  for (const host of ['direct', 'web2']) {
    it(`runs as root on ${host} with env.sudoPassword, answering the prompt on stdin`, async () => {
      const result = await onHost(host, () => settings({ sudoPassword: tb.password }, () => sudo('id -u; echo to-stderr >&2')));
      assert.equal(result.stdout, '0\n');
      assert.equal(result.stderr, 'to-stderr\n', 'the password prompt is not part of the output');
      assert.equal(result.code, 0);
    });
  }

  it('falls back to the login password (env.password)', async () => {
    const result = await onHost('web1', () => settings({ password: tb.password }, () => sudo('whoami')));
    assert.equal(String(result), 'root');
  });

  it('runs as another user and group, inside the cd scope, as that user', async () => {
    const result = await onHost('direct', () =>
      settings({ sudoPassword: tb.password }, () => cd('/tmp', () => sudo('echo "$(id -un):$(id -gn):$PWD:$HOME"', { user: 'nobody', group: 'nogroup' }))),
    );
    assert.equal(String(result), 'nobody:nogroup:/tmp:/nonexistent');
  });

  it('a wrong password fails at once with a clear error that does not contain it', async () => {
    const wrong = `not-the-password-${Date.now()}`;
    const started = Date.now();
    const error = await onHost('web2', () => settings({ sudoPassword: wrong }, () => sudo('true'))).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && error.code === 'SUDO_PASSWORD', String(error));
    assert.match(error.message, /sudo on web2 refused the password/);
    assert.ok(!error.message.includes(wrong));
    assert.ok(Date.now() - started < 10000);
  });

  it('with no password set and no terminal to ask at, fails clearly instead of hanging at the prompt', async () => {
    const error = await onHost('direct', () => sudo('true')).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && error.code === 'PROMPT', String(error));
    assert.match(error.message, /direct asks 'sudo password \(for every host\):' but there is no terminal \(stdin is not a TTY\); set env\.sudoPassword/);
  });

  it('a failing command under sudo is a CommandError with its exit code', async () => {
    const error = await onHost('direct', () => settings({ sudoPassword: tb.password }, () => sudo('exit 4'))).catch((e: unknown) => e);
    assert.ok(error instanceof CommandError, String(error));
    assert.equal(error.result.code, 4);
  });

  it('never puts the password in a process argument list, an event or the Result', async () => {
    const marker = `sleep 2.${process.pid}${Math.floor(Math.random() * 1e6)}`;
    const { list, stop } = recordEvents();
    let seenWhileRunning: string[] = [];
    try {
      const pending = onHost('direct', () => settings({ sudoPassword: tb.password }, () => sudo(marker)));
      const deadline = Date.now() + 1800;
      while (processesMatching(marker).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      seenWhileRunning = processesMatching(marker);
      const withPassword = processesMatching(tb.password);
      const result = await pending;
      assert.deepEqual(withPassword, [], 'no process has the password in its command line');
      assert.ok(!JSON.stringify(result).includes(tb.password));
    } finally {
      stop();
    }
    assert.ok(seenWhileRunning.length > 0, 'the command was seen running');
    const text = JSON.stringify(list.map((event) => ('bytes' in event ? { ...event, bytes: String(event.bytes) } : event)));
    assert.ok(!text.includes(tb.password), 'no event carries the password');
    assert.ok(list.some((event) => event.kind === 'answer' && event.answer === '***'), 'the answer is reported, redacted');
  });
});
