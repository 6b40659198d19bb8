// The command line sent to sshd is read first by the user's login shell. Each form login-shell.ts produces is
// run here through every such shell installed on this machine (`SHELL -c LINE`, as sshd does) and must give
// /bin/sh (or the command) exactly the bytes meant.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { test } from 'node:test';
import { portableCommand, portableShellLine, portableWord } from '../../../../src/ops/quoting/login-shell.ts';

const SHELLS = ['/bin/sh', '/bin/bash', '/bin/dash', '/usr/bin/zsh', '/usr/bin/fish', '/usr/bin/tcsh', '/usr/bin/csh', '/bin/busybox'].filter((file) => fs.existsSync(file));

/** What `shell -c line` prints; busybox runs as its sh applet. */
function through(shell: string, line: string): { stdout: string; status: number | null } {
  const [file, args] = shell === '/bin/busybox' ? [shell, ['sh', '-c', line]] : [shell, ['-c', line]];
  const out = spawnSync(file, args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', LANG: 'C.UTF-8' } });
  return { stdout: out.stdout, status: out.status };
}

const VALUES = ["it's", 'say "hi"', '$HOME $(id) ${x}', '`id`', 'a\\b\\\\c', 'wow!', '!!', 'two\nlines', 'tab\there', 'ünïcødé ✓ 日本語 🚀', `'"$\`\\!\n`, '%self', '=x', '~', '{a,b}', '*', '#c', '', ' '];

test('every installed login shell hands /bin/sh the script byte for byte', () => {
  assert.ok(SHELLS.length >= 2);
  for (const value of VALUES) {
    const line = portableShellLine('/bin/sh -c', `printf '<%s>' ${posix(value)}`);
    for (const shell of SHELLS) assert.deepEqual(through(shell, line), { stdout: `<${value}>`, status: 0 }, `${shell}: ${JSON.stringify(value)} as ${line}`);
  }
});

test('random bytes of text, 50 times, through every shell', () => {
  for (let i = 0; i < 50; i++) {
    const value = randomBytes(24).toString('latin1').replace(/\0/g, '') + String.fromCodePoint(0x100 + i * 97);
    const line = portableShellLine('/bin/sh -c', `printf '<%s>' ${posix(value)}`);
    for (const shell of SHELLS) assert.equal(through(shell, line).stdout, `<${value}>`, `${shell}: ${JSON.stringify(value)}`);
  }
});

test('argv words are sent as they are when every shell reads them alike, else through /bin/sh', () => {
  assert.equal(portableCommand(['sudo', '-S', '-p', '[sudo] password:', '--', '/bin/sh', '-c', 'ls -l']), "sudo -S -p '[sudo] password:' -- /bin/sh -c 'ls -l'");
  assert.match(portableCommand(['printf', '%s', "it's $x"]), /^\/bin\/sh -c 'eval /);
  for (const shell of SHELLS) assert.equal(through(shell, portableCommand(['printf', '<%s>', ...VALUES])).stdout, VALUES.map((v) => `<${v}>`).join(''), shell);
});

test('the forms: bare words, single quotes, double quotes, or none', () => {
  assert.equal(portableWord('ls'), 'ls');
  assert.equal(portableWord('a b $x'), "'a b $x'");
  assert.equal(portableWord("echo 'q'"), `"echo 'q'"`);
  assert.equal(portableWord("it's $x"), undefined);
  assert.equal(portableWord('wow!'), undefined);
  assert.equal(portableWord('a\\b'), undefined);
  assert.equal(portableWord('é'), undefined);
});

/** POSIX sh quoting, written out here independently of quote.ts. */
function posix(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
