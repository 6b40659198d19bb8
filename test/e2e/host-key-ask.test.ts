// `StrictHostKeyChecking ask` (issue 12, item 15): with a terminal, fab asks as ssh does, showing the key's
// fingerprint, and records the key only on yes; without a terminal it refuses. It used to accept silently.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fab, makeProject } from '../support/fab.ts';
import { fabInPty } from '../support/pty.ts';
import { loadTestbed } from '../support/remote.ts';
import { hostBlock } from '../support/ssh-env.ts';

const tb = loadTestbed();
const direct = tb.hosts.direct;
const QUESTION = /The authenticity of host '\[127\.0\.0\.1\]:\d+' can't be established\. ED25519 key fingerprint is SHA256:\S+\. Are you sure you want to continue connecting \(yes\/no\/\[fingerprint\]\)\?/;

/** A project (also HOME) whose ssh_config says `StrictHostKeyChecking ask`, with no known_hosts yet. */
function project(): string {
  return makeProject({
    '.ssh/config': [
      hostBlock(tb, 'direct', 'direct', [`User ${tb.user}`, `IdentityFile ${tb.keyPath}`, 'IdentitiesOnly yes', 'StrictHostKeyChecking ask', 'ConnectTimeout 2']),
    ].join('\n'),
  });
}

describe('StrictHostKeyChecking ask', () => {
  test('at a terminal: asks with the fingerprint; yes connects and records the key (however long the person takes)', async () => {
    const dir = project();
    // The answer comes after ConnectTimeout (2 s): the question must not count against the handshake's timer.
    const run = await fabInPty(['-H', 'direct', '--', 'echo', 'connected'], { cwd: dir, answers: [{ when: /continue connecting/, text: 'yes\r', delayMs: 3000 }] });
    assert.equal(run.code, 0, run.screen);
    assert.match(run.screen, QUESTION);
    assert.ok(run.screen.includes(direct.hostKeyFingerprint), run.screen);
    assert.match(run.screen, /connected/);
    assert.equal(readFileSync(join(dir, '.ssh', 'known_hosts'), 'utf8'), `[127.0.0.1]:${direct.port} ${direct.hostKey}\n`);

    const again = await fabInPty(['-H', 'direct', '--', 'echo', 'connected'], { cwd: dir });
    assert.equal(again.code, 0, again.screen);
    assert.doesNotMatch(again.screen, /authenticity/, 'a known host is not asked about again');
  });

  test('at a terminal: no refuses, and nothing is recorded', async () => {
    const dir = project();
    const run = await fabInPty(['-H', 'direct', '--', 'echo', 'connected'], { cwd: dir, answers: [{ when: /continue connecting/, text: 'no\r' }] });
    assert.equal(run.code, 1, run.screen);
    assert.match(run.screen, QUESTION);
    assert.match(run.screen.replace(/\s+/g, ' '), /not accepted at the prompt; refusing to connect/);
    assert.doesNotMatch(run.screen, /^connected/m);
    assert.equal(existsSync(join(dir, '.ssh', 'known_hosts')), false);
  });

  test('without a terminal: refused with what to do, nothing recorded', async () => {
    const dir = project();
    const run = await fab(['-H', 'direct', '--', 'echo', 'connected'], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /StrictHostKeyChecking is ask, but there is no terminal to ask at; after checking the fingerprint, run: ssh-keyscan -p \d+ -t ed25519 127\.0\.0\.1 >> /);
    assert.doesNotMatch(run.stdout, /^connected/m);
    assert.equal(existsSync(join(dir, '.ssh', 'known_hosts')), false);
  });
});
