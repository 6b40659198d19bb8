// prompt()/confirm()/openShell() where no one can answer: they must fail at once, never wait for input.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, beforeEach, describe, it } from 'node:test';
import { DEFAULTS } from '../../../../src/config/schema.ts';
import { env, envStore } from '../../../../src/env/env.ts';
import { FabError } from '../../../../src/errors.ts';
import { runTaskOnHost } from '../../../../src/exec/runner.ts';
import { confirm, openShell, prompt } from '../../../../src/index.ts';
import { validationProblem } from '../../../../src/ops/interactive/prompt.ts';
import { setTerminal } from '../../../../src/ops/interactive/terminal.ts';

function resetEnv(cli: Record<string, unknown> = {}): void {
  envStore.reset();
  envStore.setLayer('defaults', { ...DEFAULTS }, 'defaults');
  envStore.setLayer('cli', cli, 'command line');
  envStore.writeLayer = 'runtime';
}

/** Runs fn as a task on host, the way fab does; resolves to its value or rejects with its error. */
async function onHost<T>(host: string, fn: () => Promise<T>): Promise<T> {
  let value: T | undefined;
  const outcome = await runTaskOnHost({ name: 't', options: {}, description: undefined, params: undefined, fn: async () => (value = await fn()) }, { _: [] }, host);
  if (!outcome.ok) throw outcome.error;
  return value as T;
}

async function promptError(fn: () => Promise<unknown>): Promise<FabError> {
  const started = Date.now();
  const error = await fn().then(
    () => assert.fail('expected a PROMPT error'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FabError && error.code === 'PROMPT', String(error));
  assert.ok(Date.now() - started < 1000, 'fails at once');
  return error;
}

describe('prompts with no one to answer', () => {
  // A stream that is not a terminal and never ends: a prompt reading it would hang the test.
  const notATerminal = new PassThrough();
  beforeEach(() => {
    resetEnv();
    setTerminal({ input: notATerminal, questions: new PassThrough(), screen: new PassThrough() });
  });
  after(() => setTerminal(undefined));

  it('prompt() without a terminal fails at once, naming the host, the question and what to set', async () => {
    const error = await promptError(() => onHost('web1', () => prompt('Deploy branch?', { key: 'branch' })));
    assert.equal(error.message, "web1 asks 'Deploy branch?' but there is no terminal (stdin is not a TTY); set env.branch with --set branch=...");
    assert.equal(error.host, 'web1');
  });

  it('--abort-on-prompts says so', async () => {
    resetEnv({ abortOnPrompts: true });
    const error = await promptError(() => onHost('web2', () => prompt('Proceed?')));
    assert.match(error.message, /^web2 asks 'Proceed\?' but --abort-on-prompts is set; run fab at a terminal/);
  });

  it('a value already in env[key] (e.g. from --set) is the answer, without asking', async () => {
    resetEnv({ branch: 'release' });
    assert.equal(await onHost('web1', () => prompt('Deploy branch?', { key: 'branch' })), 'release');
  });

  it('a built-in default of a known key does not count as an answer', async () => {
    await promptError(() => onHost('web1', () => prompt('Which shell?', { key: 'shell' })));
  });

  it('a preset value that fails validation is an error, not a silent answer', async () => {
    resetEnv({ count: 'many' });
    const error = await promptError(() => onHost('web1', () => prompt('How many?', { key: 'count', validate: /\d+/ })));
    assert.match(error.message, /env\.count is set but not a valid answer to 'How many\?': "many" does not match/);
  });

  it('an answer stored in env[key] on one host stays with that host', async () => {
    resetEnv({ abortOnPrompts: false });
    await onHost('web1', async () => {
      env.branch = 'from-web1';
    });
    assert.equal(await onHost('web1', () => prompt('Deploy branch?', { key: 'branch' })), 'from-web1');
    await promptError(() => onHost('web2', () => prompt('Deploy branch?', { key: 'branch' })));
  });

  it('confirm() and openShell() fail the same way', async () => {
    const confirmError = await promptError(() => onHost('web1', () => confirm('Really?')));
    assert.match(confirmError.message, /^web1 asks 'Really\? \[Y\/n\]' but there is no terminal/);
    const shellError = await promptError(() => onHost('web1', () => openShell()));
    assert.match(shellError.message, /openShell on web1 needs a terminal but there is no terminal/);
  });

  it('fab given no stdin at all cannot ask either', async () => {
    setTerminal({ input: undefined, questions: new PassThrough(), screen: new PassThrough() });
    await promptError(() => prompt('Anything?'));
  });
});

describe('validation', () => {
  it('a RegExp must match the whole answer', () => {
    assert.equal(validationProblem('42', /\d+/), undefined);
    assert.equal(validationProblem('42x', /\d+/), '"42x" does not match /\\d+/');
    assert.equal(validationProblem('a|b', /a|b/), '"a|b" does not match /a|b/', 'alternatives are grouped before anchoring');
    assert.equal(validationProblem('YES', /yes/i), undefined, 'flags are kept');
  });

  it('a function returns true/undefined (valid), false or a message, or throws', () => {
    assert.equal(validationProblem('x', () => true), undefined);
    assert.equal(validationProblem('x', () => undefined), undefined);
    assert.equal(validationProblem('x', () => false), '"x" is not a valid answer');
    assert.equal(validationProblem('x', () => 'must be a number'), 'must be a number');
    assert.equal(
      validationProblem('x', () => {
        throw new Error('no such branch');
      }),
      'no such branch',
    );
  });

  it('never repeats a secret answer in its message', () => {
    assert.equal(validationProblem('hunter2', /\d+/, true), 'the answer does not match /\\d+/');
  });
});
