// Where sudo's password comes from, what happens when sudo refuses it, and where it never shows up.
import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import { FabError, settings, sudo } from '../../src/index.ts';
import { resetSudoPasswords } from '../../src/ops/sudo/sudo-password.ts';
import { events, type FabEvent } from '../../src/report/events.ts';
import { closePoolAfter, onHost, useTestbed, type Testbed } from '../support/remote.ts';

let tb: Testbed;
before(() => {
  tb = useTestbed();
});
beforeEach(() => resetSudoPasswords());
closePoolAfter();

function record(): { seen: FabEvent[]; stop: () => void } {
  const seen: FabEvent[] = [];
  return { seen, stop: events.subscribe((event) => seen.push(event)) };
}

const wrong = () => `wrong-${process.pid}-${Math.random().toString(36).slice(2)}`;
const answers = (seen: FabEvent[]) => seen.filter((event) => event.kind === 'answer').length;

describe('the sudo password', () => {
  it('is never in a process list or a remote environment: ps and /proc under sudo itself show no trace of it', async () => {
    const { seen, stop } = record();
    let result;
    try {
      // As root: every process's arguments, sudo's own environment (its parent), and the command's environment.
      result = await onHost('web1', () =>
        settings({ sudoPassword: tb.password }, () => sudo(`ps -eww -o pid,args; echo ---; tr '\\0' '\\n' < /proc/$PPID/environ; echo ---; env`, { hide: true })),
      );
    } finally {
      stop();
    }
    assert.match(result.stdout, /sudo -S -p .* -H -- \/bin\/sh -c/, 'ps saw the sudo command line itself');
    assert.ok(!result.stdout.includes(tb.password), 'not in any argv or environment');
    assert.ok(!result.stderr.includes(tb.password));
    const text = JSON.stringify(seen.map((event) => ('bytes' in event ? { ...event, bytes: String(event.bytes) } : event)));
    assert.ok(!text.includes(tb.password), 'not in any event');
    assert.equal(answers(seen), 1, 'answered once, redacted');
  });

  it('comes from the sudo() option first, then env.sudoPassword, env.passwords[host], env.password', async () => {
    const run = (config: Record<string, unknown>, password?: string) =>
      onHost('direct', () => settings(config, () => sudo('id -u', { hide: true, ...(password ? { password } : {}) }))).then(String, (e: FabError) => e.code);
    assert.equal(await run({ sudoPassword: wrong() }, tb.password), '0', 'the option beats env.sudoPassword');
    assert.equal(await run({ sudoPassword: tb.password, password: wrong() }), '0', 'env.sudoPassword beats the login password');
    assert.equal(await run({ passwords: { direct: tb.password }, password: wrong() }), '0', 'the per-host password beats the login password');
    assert.equal(await run({ password: tb.password }), '0', 'the login password is the last resort');
  });

  it('a refused password is never sent again in the run; with no terminal the next sudo says why it cannot go on', async () => {
    const refused = wrong();
    const { seen, stop } = record();
    try {
      const first = await onHost('direct', () => settings({ sudoPassword: refused }, () => sudo('true'))).catch((e: unknown) => e);
      assert.ok(first instanceof FabError && first.code === 'SUDO_PASSWORD', String(first));
      assert.equal(first.message, 'sudo on direct refused the password from env.sudoPassword (wrong sudo password); it is not sent again in this run');
      const answered = answers(seen);
      const second = await onHost('web2', () => settings({ sudoPassword: refused }, () => sudo('true'))).catch((e: unknown) => e);
      assert.ok(second instanceof FabError && second.code === 'PROMPT', String(second));
      assert.match(second.message, /sudo refused the password from env\.sudoPassword earlier in this run; correct it/);
      assert.equal(answers(seen), answered, 'the refused password was not written again');
      const fixed = await onHost('web2', () => settings({ sudoPassword: tb.password }, () => sudo('id -un', { hide: true })));
      assert.equal(String(fixed), 'root', 'a corrected password works at once');
    } finally {
      stop();
    }
  });
});
