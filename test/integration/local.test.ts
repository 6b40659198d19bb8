import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { local, lcd, settings, shellEnv, prefix, respond, failOn, CommandError, FabError, Result } from '../../src/index.ts';
import { events, type FabEvent } from '../../src/report/events.ts';

function recordEvents(): { list: FabEvent[]; stop: () => void } {
  const list: FabEvent[] = [];
  const stop = events.subscribe((event) => list.push(event));
  return { list, stop };
}

test('local() captures stdout and stderr and returns a Result', async () => {
  const result = await local('echo out; echo err >&2');
  assert.ok(result instanceof Result);
  assert.equal(result.stdout, 'out\n');
  assert.equal(result.stderr, 'err\n');
  assert.equal(result.code, 0);
  assert.equal(result.ok, true);
  assert.equal(result.failed, false);
  assert.equal(result.host, 'localhost');
  assert.equal(String(result), 'out');
  assert.ok(result.durationMs >= 0);
});

test('output streams live, as events, before the command ends', async () => {
  const { list, stop } = recordEvents();
  const seenBeforeEnd: string[] = [];
  const unsubscribe = events.subscribe((event) => {
    if (event.kind === 'output') seenBeforeEnd.push(event.text);
  });
  const pending = local('echo first; sleep 0.5; echo second');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(seenBeforeEnd, ['first\n'], 'the first line arrived while the command still ran');
  await pending;
  unsubscribe();
  stop();
  assert.ok(list.some((event) => event.kind === 'command' && event.command.includes('echo first')));
});

test('a non-zero exit throws CommandError carrying the Result, with the command, code and stderr tail', async () => {
  await assert.rejects(local('echo doing; echo "disk full" >&2; exit 3'), (error: unknown) => {
    assert.ok(error instanceof CommandError);
    assert.equal(error.result.code, 3);
    assert.match(error.message, /exit code 3/);
    assert.match(error.message, /exit 3/);
    assert.match(error.message, /disk full/);
    return true;
  });
});

test('warnOnly and okReturnCodes accept other exits', async () => {
  const warned = await local('exit 2', { warnOnly: true });
  assert.equal(warned.code, 2);
  assert.equal(warned.failed, true);
  const accepted = await local('exit 1', { okReturnCodes: [0, 1] });
  assert.equal(accepted.ok, true);
  const scoped = await settings({ warnOnly: true }, () => local('false'));
  assert.equal(scoped.failed, true);
});

test('timeout ends the whole process group and throws a TIMEOUT error', async () => {
  const started = Date.now();
  await assert.rejects(local('sleep 30; echo never', { timeout: 0.5 }), (error: unknown) => error instanceof FabError && error.code === 'TIMEOUT');
  assert.ok(Date.now() - started < 5000);
});

test('env, stdin (string and stream) and lcd are honoured', async () => {
  assert.equal(String(await local('printf %s "$GREETING"', { env: { GREETING: 'hi there' } })), 'hi there');
  assert.equal(String(await local('cat', { stdin: 'piped in' })), 'piped in');
  assert.equal(String(await local('wc -c', { stdin: Readable.from([Buffer.from('abc'), Buffer.from('de')]) })).trim(), '5');
  assert.equal(String(await lcd('/tmp', () => local('pwd'))), '/tmp');
  assert.equal(String(await shellEnv({ X: 'y' }, () => prefix('export Z=z', () => local('echo $X$Z')))), 'yz');
});

test('shell metacharacters work in a plain command string', async () => {
  assert.equal(String(await local('echo a b | tr a-z A-Z && echo $((1+2)) > /dev/null; echo "$((2*3))"')), 'A B\n6');
});

test('the tagged template quotes every value, so nothing can inject a command', async () => {
  const evil = ["'; echo INJECTED; '", '$(echo INJECTED)', '`echo INJECTED`', 'a\nb', 'ünï ✓', '"; echo INJECTED'];
  for (const value of evil) {
    assert.equal(String(await local`printf %s ${value}`), value);
  }
  assert.equal(String(await local`printf '%s|' ${['a b', 'c']}`), 'a b|c|');
});

test('responders answer prompts on stdout and stderr, across chunks', async () => {
  const script = `printf 'Proceed? [y/N] '; read a; echo "got $a"; printf 'Name: ' >&2; read n; echo "name $n"`;
  const result = await local(script, { responders: [respond(/Proceed\? \[y\/N\]/, 'y\n'), respond('Name:', 'ada\n')] });
  assert.match(result.stdout, /got y/);
  assert.match(result.stdout, /name ada/);
});

test('failOn ends the command with an error naming the pattern', async () => {
  const started = Date.now();
  await assert.rejects(local('echo "access denied"; sleep 20', { responders: [failOn(/denied/)] }), /denied.*failOn/);
  assert.ok(Date.now() - started < 5000, 'the command was ended, not waited for');
});

test('invalid UTF-8 does not break capture', async () => {
  const result = await local("printf 'ok \\377\\376 end'");
  assert.match(result.stdout, /^ok .* end$/);
});
