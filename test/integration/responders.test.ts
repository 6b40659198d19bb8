// Responders (the pexpect side) against real commands: remote over the test bed, and local.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { FabError, failOn, local, quote, respond, run, settings, sudo } from '../../src/index.ts';
import { processesMatching } from '../support/processes.ts';
import { closePoolAfter, onHost, useTestbed, type Testbed } from '../support/remote.ts';

let tb: Testbed;
before(() => {
  tb = useTestbed();
});
closePoolAfter();

/** bash, so `read -t` can give up on an answer that never comes. */
const BASH = { shell: '/bin/bash -c', hide: true } as const;

const splitPrompt = (stream: string) => `printf 'Proc' ${stream}; sleep 0.3; printf 'eed? [y/N] ' ${stream}; read answer; echo "answer=$answer"`;

describe('responders on remote commands', () => {
  for (const [name, redirect] of [['stdout', ''], ['stderr', '>&2']] as const) {
    it(`answer a prompt on ${name} that arrives in two chunks (web1, through the bastion)`, async () => {
      const result = await onHost('web1', () => run(splitPrompt(redirect), { ...BASH, responders: [respond(/Proceed\? \[y\/N\]/, 'y\n')] }));
      assert.equal(result.stdout, `${name === 'stdout' ? 'Proceed? [y/N] ' : ''}answer=y\n`);
    });
  }

  it('answer each time the pattern appears, and never twice for output already seen', async () => {
    const script = [
      "printf 'Continue? '; read a",
      "printf 'Continue? '; read b",
      'echo "got $a $b"; sleep 0.2; echo more output, no prompt',
      'if read -t 2 c; then echo "unexpected $c"; else echo no-third-answer; fi',
    ].join('; ');
    const result = await onHost('direct', () => run(script, { ...BASH, responders: [respond('Continue? ', 'yes\n')] }));
    assert.deepEqual(result.stdout.trim().split('\n'), ['Continue? Continue? got yes yes', 'more output, no prompt', 'no-third-answer']);
  });

  it('once: answers the first appearance only', async () => {
    const script = "printf 'Q? '; read a; echo \"a=$a\"; printf 'Q? '; if read -t 2 b; then echo \"b=$b\"; else echo no-second-answer; fi";
    const result = await onHost('direct', () => run(script, { ...BASH, responders: [respond('Q? ', 'first\n', { once: true })] }));
    assert.match(result.stdout, /a=first\nQ\? no-second-answer/);
  });

  it('failOn ends the command at once with an error naming the pattern', async () => {
    const marker = `sleep 30.${process.pid}${Date.now() % 100000}`;
    const started = Date.now();
    const error = await onHost('web2', () => run(`echo starting; echo 'Permission denied (publickey)' >&2; ${marker}`, { hide: true, responders: [failOn(/Permission denied/)] })).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && error.code === 'COMMAND_FAILED', String(error));
    assert.match(error.message, /output matched \/Permission denied\/ \(failOn\) on web2/);
    assert.ok(Date.now() - started < 15000, 'did not wait for the 30 s sleep');
    const deadline = Date.now() + 5000;
    while (processesMatching(marker).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(processesMatching(marker), [], 'the remote command was ended');
  });

  it('settings({ responders }) applies to every run and sudo inside the scope, and only there', async () => {
    const ask = "printf 'Name? '; if read -t 2 n; then echo \"hello $n\"; else echo nobody; fi";
    const [inRun, inSudo, outside] = await onHost('direct', async () => {
      const scoped = await settings({ responders: [respond('Name? ', 'fabts\n')], sudoPassword: tb.password }, async () => [
        await run(ask, BASH),
        await sudo(`bash -c ${quote(ask)}`, { hide: true }),
      ]);
      return [...scoped, await run(ask, BASH)];
    });
    assert.equal(String(inRun), 'Name? hello fabts');
    assert.equal(String(inSudo), 'Name? hello fabts', "the scope's responder works beside sudo's own password responder");
    assert.equal(String(outside), 'Name? nobody');
  });

  it('answer a prompt under a pty, where stdout and stderr are one stream', async () => {
    const result = await onHost('web1', () => run(splitPrompt('>&2'), { ...BASH, pty: true, responders: [respond(/Proceed\? \[y\/N\]/, 'y\n')] }));
    assert.match(result.stdout, /answer=y/);
  });
});

describe('responders on local commands', () => {
  for (const [name, redirect] of [['stdout', ''], ['stderr', '>&2']] as const) {
    it(`answer a prompt on ${name} split across chunks`, async () => {
      const result = await local(`bash -c ${quote(splitPrompt(redirect))}`, { hide: true, responders: [respond(/Proceed\? \[y\/N\]/, 'y\n')] });
      assert.equal(result.stdout, `${name === 'stdout' ? 'Proceed? [y/N] ' : ''}answer=y\n`);
    });
  }

  it('failOn and settings({ responders }) work locally too', async () => {
    const error = await local("echo 'fatal: not a git repository'; sleep 30", { hide: true, responders: [failOn('fatal:')] }).catch((e: unknown) => e);
    assert.ok(error instanceof FabError && /output matched \/fatal:\/ \(failOn\) locally/.test(error.message), String(error));
    const result = await settings({ responders: [respond(/password: $/, 'pw\n')] }, () => local("printf 'password: '; read p; echo \"got $p\"", { hide: true }));
    assert.equal(String(result), 'password: got pw');
  });

  it('an answer function may take its time; the command waits for it', async () => {
    const result = await local("printf 'Token? '; read t; echo \"token=$t\"", {
      hide: true,
      responders: [respond('Token? ', () => new Promise<string>((resolve) => setTimeout(() => resolve('abc\n'), 300)))],
    });
    assert.equal(String(result), 'Token? token=abc');
  });
});
