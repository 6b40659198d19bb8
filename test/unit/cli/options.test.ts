import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCli } from '../../../src/cli/options.ts';
import { quickParse } from '../../../src/cli/quick-parse.ts';

const print = () => {};

// Ordinary command lines: the quick parser takes them, and must read them exactly as yargs does.
const ORDINARY: string[][] = [
  [],
  ['-l'],
  ['--list', '-f', 'ops/fabfile.ts'],
  ['deploy:branch=main,force=yes', 'restart'],
  ['-H', 'web1,web2', 'deploy'],
  ['-H', 'web1', '-H', 'web2', '-R', 'db', '-x', 'web3', 'uptime'],
  ['--hosts=web1', '--exclude-hosts', 'web2', '-P', '-z', '5', 'deploy'],
  ['-F', '/tmp/ssh_config', '-H', 'direct', '--', 'uname', '-a'],
  ['-u', 'deploy', '--port', '2222', '-i', 'a.key', '-i', 'b.key', '-g', 'bastion', '-A', '-a', '-k', 'x'],
  ['-r', '-D', '-t', '5', '-n', '3', '--keepalive', '10', '-w', '-T', '30', '--skip-bad-hosts', '--skip-unknown-tasks', 't'],
  ['--abort-on-prompts', '--dry-run', '--hide', 'running,status', '--show', 'debug', '--linewise', '--no-color', '--debug', 't'],
  ['--set', 'a=1,b=2', '--set', 'c=3', '-c', 'fab.yml', 't'],
  ['-d', 'deploy'],
  ['1e3', '0x10', '007'],
  ['-lH', 'web1'],
  ['-I', '--prompt-for-sudo-password', '--json', '--log-dir', 'logs', 't'],
];

for (const argv of ORDINARY) {
  test(`the quick parser reads \`fab ${argv.join(' ')}\` as yargs does`, async () => {
    assert.ok(quickParse(argv), 'the quick parser takes it');
    assert.deepEqual(await parseCli(argv, print), await parseCli(argv, print, { quick: false }));
  });
}

test('a host list flag takes one value: the next word is a task (arrays are not greedy)', async () => {
  for (const quick of [true, false]) {
    const options = await parseCli(['-H', 'web1', 'deploy', 'restart'], print, { quick });
    assert.deepEqual(options?.hosts, ['web1']);
    assert.deepEqual(options?.tasks, ['deploy', 'restart']);
  }
});

test('task names that look like numbers stay as written', async () => {
  assert.deepEqual((await parseCli(['1e3', '007'], print))?.tasks, ['1e3', '007']);
});

// Everything else goes to yargs: help, version, subcommands and mistakes, whose messages yargs writes.
const FOR_YARGS: string[][] = [
  ['-h'], ['--help'], ['-V'], ['--version'], ['init'], ['completion'], ['shell'], ['-H', 'web1', 'shell', '--', 'top'],
  ['--bogus'], ['-Q'], ['-H'], ['-f'], ['deploy', '-H'],
];

for (const argv of FOR_YARGS) {
  test(`\`fab ${argv.join(' ')}\` is left to yargs`, () => {
    assert.equal(quickParse(argv), undefined);
  });
}

test('an unknown flag is still a usage error with a suggestion', async () => {
  await assert.rejects(parseCli(['--hots', 'web1'], print), /unknown option --hots \(did you mean --hosts\?\)/);
});
