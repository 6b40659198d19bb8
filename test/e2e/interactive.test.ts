// The built `fab` at a real terminal (tmux): prompts, -I, sudo password flows, interactive shells, pty sizes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTestbed, type Testbed } from '../hosts/testbed.ts';
import { processesMatching } from '../support/processes.ts';
import { fab, makeProject } from '../support/fab.ts';
import { noTmux, TmuxTerminal } from '../support/terminal.ts';

const FABFILE = `
import { task, env, prompt, confirm, sudo, openShell } from 'fabts';

export const ask = task({ parallel: true }, async () => {
  const branch = await prompt('Deploy branch?', { key: 'branch', default: 'main', validate: /[a-z-]+/ });
  const token = await prompt('Token?', { secret: true });
  const sure = await confirm('Ship it?', false);
  console.log('RESULT ' + env.host + ' branch=' + branch + ' env.branch=' + env.branch + ' token-length=' + token.length + ' sure=' + sure);
});

export async function branch() {
  console.log('BRANCH ' + (await prompt('Deploy branch?', { key: 'branch' })));
}

export async function where() {
  console.log('ON ' + env.host);
}

export const whoami = task({ parallel: true }, async () => {
  console.log('SUDO ' + env.host + ' ' + (await sudo('id -un', { hide: true })));
});

export async function retry() {
  try {
    await sudo('true');
  } catch (error) {
    console.log('FIRST ' + error.code);
  }
  console.log('SECOND ' + (await sudo('id -un', { hide: true })));
}

export async function early() {
  console.log('TASK STARTED ON ' + env.host);
  console.log('SUDO ' + env.host + ' ' + (await sudo('id -un', { hide: true })));
}

export async function shellThenMore() {
  const status = await openShell();
  console.log('SHELL STATUS ' + status);
}

export async function explode() {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk, ...rest) => {
    if (String(chunk).includes('BOOM')) throw new Error('the screen exploded');
    return write(chunk, ...rest);
  });
  await openShell();
}
`;

let tb: Testbed;
let dir: string;
const terminals: TmuxTerminal[] = [];
before(() => {
  tb = loadTestbed();
  dir = makeProject({ 'fabfile.ts': FABFILE });
});
after(() => {
  for (const terminal of terminals) terminal.close();
});

function start(args: string[], size: { cols?: number; rows?: number } = {}): TmuxTerminal {
  const terminal = TmuxTerminal.start(args, { cwd: dir, ...size });
  terminals.push(terminal);
  return terminal;
}

const QUESTION = /\[([a-c])\] (Deploy branch\?|Token\?|Ship it\? \[y\/N\])/g;

describe('prompts at a terminal', { skip: noTmux }, () => {
  it('parallel hosts ask one question at a time, each naming its host; validation asks again; secrets are not echoed', async () => {
    const terminal = start(['-H', 'a,b,c', 'ask']);
    const answers: Record<string, string[]> = {
      'a Deploy branch?': ['NOT VALID!', 'feature-x'],
      'b Deploy branch?': [''],
      'c Deploy branch?': ['hotfix'],
      'a Token?': ['s3cret-a'],
      'b Token?': ['s3cret-bb'],
      'c Token?': ['s3cret-ccc'],
      'a Ship it? [y/N]': ['y'],
      'b Ship it? [y/N]': [''],
      'c Ship it? [y/N]': ['maybe', 'yes'],
    };
    for (let asked = 1; asked <= 11; asked++) {
      const screen = await terminal.waitFor(QUESTION, { times: asked });
      const questions = [...screen.matchAll(QUESTION)];
      assert.equal(questions.length, asked, `one new question at a time:\n${screen}`);
      const last = questions.at(-1)!;
      const queue = answers[`${last[1]} ${last[2]}`]!;
      assert.ok(queue.length > 0, `asked once too often: ${last[0]}\n${screen}`);
      terminal.typeLine(queue.shift()!);
    }
    const { status, sttyRestored } = await terminal.exit();
    const screen = terminal.screen();
    assert.equal(status, 0, screen);
    assert.ok(sttyRestored, 'the terminal mode is as before');
    assert.match(screen, /\[a\] "NOT VALID!" does not match \/\[a-z-\]\+\/; try again\./);
    assert.match(screen, /\[c\] please answer y or n; try again\./);
    assert.match(screen, /RESULT a branch=feature-x env\.branch=feature-x token-length=8 sure=true/);
    assert.match(screen, /RESULT b branch=main env\.branch=main token-length=9 sure=false/);
    assert.match(screen, /RESULT c branch=hotfix env\.branch=hotfix token-length=10 sure=true/);
    assert.doesNotMatch(screen, /s3cret/, 'no secret answer is shown');
    assert.match(screen, /\[b\] Deploy branch\? \[main\]/, 'the default is shown');
  });

  it('--abort-on-prompts fails at once even at a terminal; a value given with --set is the answer', async () => {
    const aborted = start(['--linewise', '-H', 'a', '--abort-on-prompts', 'branch']);
    assert.equal((await aborted.exit()).status, 1);
    assert.match(aborted.screen(), /a asks 'Deploy branch\?' but --abort-on-prompts is set; set env\.branch with --set branch=\.\.\./);
    const preset = start(['-H', 'a', '--abort-on-prompts', '--set', 'branch=release', 'branch']);
    assert.equal((await preset.exit()).status, 0);
    assert.match(preset.screen(), /BRANCH release/);
  });

  it('Ctrl-C at a question interrupts the run (130) and leaves the terminal as it was', async () => {
    const terminal = start(['-H', 'a', 'branch']);
    await terminal.waitFor(/\[a\] Deploy branch\?/);
    terminal.type('half an answ');
    terminal.press('C-c');
    const { status, sttyRestored } = await terminal.exit();
    assert.equal(status, 130);
    assert.ok(sttyRestored);
    assert.doesNotMatch(terminal.screen(), /BRANCH/);
  });

  it('with no terminal at all (stdin a pipe), a prompt fails at once instead of hanging', async () => {
    const started = Date.now();
    const result = await fab(['-H', 'web9', 'branch'], { cwd: dir, timeoutMs: 20000 });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /web9 asks 'Deploy branch\?' but there is no terminal \(stdin is not a TTY\); set env\.branch with --set branch=\.\.\./);
    assert.ok(Date.now() - started < 15000);
  });

  it('-H before the task names hosts, not the task', async () => {
    const result = await fab(['-H', 'a,b', 'where'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ON a\n[^]*ON b/);
  });
});

describe('passwords asked at a terminal', { skip: noTmux }, () => {
  /** An ssh_config whose host `pwhost` (the direct sshd) names no key: only a password (or -i) logs in. */
  function passwordOnlyConfig(): string {
    const config = path.join(dir, 'password_only_ssh_config');
    const lines = ['Host pwhost', '  HostName 127.0.0.1', `  Port ${tb.hosts.direct.port}`, '  User fabtest', `  UserKnownHostsFile ${tb.knownHostsPath}`, '  StrictHostKeyChecking yes', ''];
    fs.writeFileSync(config, lines.join('\n'));
    return config;
  }

  it('-I asks for the login password once, before connecting, without echo', async () => {
    const config = passwordOnlyConfig();
    const withoutPassword = await fab(['-F', config, '-a', '-H', 'pwhost', '--', 'id -un'], { cwd: dir });
    assert.equal(withoutPassword.code, 1, 'no key reaches this host');
    const terminal = start(['--linewise', '-I', '-F', config, '-a', '-H', 'pwhost', '--', 'id -un']);
    await terminal.waitFor(/Login password \(for every host\):\s*$/m);
    terminal.typeLine(tb.password);
    const { status } = await terminal.exit();
    const screen = terminal.screen();
    assert.equal(status, 0, screen);
    assert.match(screen, /\[pwhost\] out: fabtest/);
    assert.ok(!screen.includes(tb.password), 'the password is not on the screen');
    assert.equal(screen.match(/Login password/g)?.length, 1);
  });

  it('without -I, a login password is asked when a host needs one, and a key passphrase when the key is needed', async () => {
    const config = passwordOnlyConfig();
    const byPassword = start(['--linewise', '-F', config, '-a', '-H', 'pwhost', '--', 'echo logged-in']);
    await byPassword.waitFor(/\[pwhost\] Login password \(for every host\):\s*$/m);
    byPassword.typeLine(tb.password);
    assert.equal((await byPassword.exit()).status, 0, byPassword.screen());
    assert.match(byPassword.screen(), /\[pwhost\] out: logged-in/);
    const byKey = start(['--linewise', '-F', config, '-a', '-i', tb.encryptedKeyPath, '-H', 'pwhost', '--', 'echo unlocked']);
    await byKey.waitFor(/\[pwhost\] passphrase for .*id_ed25519_encrypted:\s*$/m);
    byKey.typeLine(tb.keyPassphrase);
    assert.equal((await byKey.exit()).status, 0, byKey.screen());
    assert.match(byKey.screen(), /\[pwhost\] out: unlocked/);
    assert.ok(!byKey.screen().includes(tb.keyPassphrase) && !byPassword.screen().includes(tb.password));
  });

  it('sudo asks once for all hosts: the first host to need it asks, the others wait for that answer', async () => {
    const terminal = start(['-F', tb.sshConfigPath, '-H', 'direct,web1,web2', '-P', 'whoami']);
    await terminal.waitFor(/sudo password \(for every host\):\s*$/m);
    terminal.typeLine(tb.password);
    const { status } = await terminal.exit();
    const screen = terminal.screen();
    assert.equal(status, 0, screen);
    assert.equal(screen.match(/sudo password/g)?.length, 1, screen);
    for (const host of ['direct', 'web1', 'web2']) assert.match(screen, new RegExp(`SUDO ${host} root`));
    assert.ok(!screen.includes(tb.password));
  });

  it('with sudoPasswordPerHost, each host asks for its own', async () => {
    const terminal = start(['-F', tb.sshConfigPath, '-H', 'direct,web2', '-P', '--set', 'sudoPasswordPerHost=true', 'whoami']);
    for (let asked = 1; asked <= 2; asked++) {
      await terminal.waitFor(/\[(direct|web2)\] sudo password for (direct|web2):/, { times: asked });
      terminal.typeLine(tb.password);
    }
    const { status } = await terminal.exit();
    const screen = terminal.screen();
    assert.equal(status, 0, screen);
    assert.match(screen, /\[direct\] sudo password for direct:/);
    assert.match(screen, /\[web2\] sudo password for web2:/);
    assert.match(screen, /SUDO direct root/);
    assert.match(screen, /SUDO web2 root/);
  });

  it('a wrong password is reported as such, never sent again, and asked for anew', async () => {
    const terminal = start(['-F', tb.sshConfigPath, '-H', 'direct', 'retry']);
    await terminal.waitFor(/sudo password \(for every host\):\s*$/m);
    terminal.typeLine('certainly-not-the-password');
    await terminal.waitFor(/FIRST SUDO_PASSWORD/);
    await terminal.waitFor(/sudo password \(for every host\):\s*$/m, { times: 2 });
    terminal.typeLine(tb.password);
    const { status } = await terminal.exit();
    const screen = terminal.screen();
    assert.equal(status, 0, screen);
    assert.match(screen, /SECOND root/);
  });

  it('--prompt-for-sudo-password asks before any task runs', async () => {
    const terminal = start(['-F', tb.sshConfigPath, '-H', 'direct,web1', '--prompt-for-sudo-password', 'early']);
    const screen = await terminal.waitFor(/sudo password \(for every host\):\s*$/m);
    assert.doesNotMatch(screen, /TASK STARTED/);
    terminal.typeLine(tb.password);
    const { status } = await terminal.exit();
    const done = terminal.screen();
    assert.equal(status, 0, done);
    assert.match(done, /TASK STARTED ON direct[^]*SUDO direct root[^]*TASK STARTED ON web1[^]*SUDO web1 root/);
    assert.equal(done.match(/password/gi)?.length, 1, 'asked once, up front');
  });
});

describe('interactive shell', { skip: noTmux }, () => {
  it('fab -H direct shell: a pty sized to the terminal, resizes forwarded, the exit status returned, the terminal restored', async () => {
    const terminal = start(['-F', tb.sshConfigPath, '-H', 'direct', 'shell'], { cols: 80, rows: 24 });
    await terminal.waitFor(/\$\s*$/m);
    terminal.typeLine('echo "sum=$((6*7))"; stty size; test -t 0 && echo stdin-is-a-tty');
    await terminal.waitFor(/sum=42\n24 80\nstdin-is-a-tty/);
    terminal.resize(100, 30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    terminal.typeLine('stty size');
    await terminal.waitFor(/^30 100$/m);
    terminal.typeLine('exit 7');
    const { status, sttyRestored, before, after } = await terminal.exit();
    assert.equal(status, 7, terminal.screen());
    assert.ok(sttyRestored, `stty before:\n${before}\nafter:\n${after}`);
  });

  it('through the bastion, with a command: Ctrl-C reaches the remote side and the command exit status comes back', async () => {
    const terminal = start(['-F', tb.sshConfigPath, '-H', 'web1', 'shell', '--', "trap 'echo caught-INT; exit 3' INT; echo ready; sleep 60"]);
    await terminal.waitFor(/^ready$/m);
    terminal.press('C-c');
    const { status, sttyRestored } = await terminal.exit();
    assert.match(terminal.screen(), /caught-INT/);
    assert.equal(status, 3);
    assert.ok(sttyRestored);
  });

  /** Starts fab with a shell on host, types one line at the remote prompt, and returns how fab ended. */
  async function typeIntoShell(host: string, task: string, line: string, flags: string[] = []) {
    const terminal = start([...flags, '-F', tb.sshConfigPath, '-H', host, task]);
    await terminal.waitFor(/\$\s*$/m);
    terminal.typeLine(line);
    return { ...(await terminal.exit()), screen: terminal.screen() };
  }

  it('openShell() in a task returns the status and the task goes on', async () => {
    const { status, sttyRestored, screen } = await typeIntoShell('web2', 'shellThenMore', 'exit 5');
    assert.equal(status, 0);
    assert.match(screen, /SHELL STATUS 5/);
    assert.ok(sttyRestored);
  });

  it('a lost connection ends the shell with a clear error and a restored terminal', async () => {
    // The login shell's parent is this connection's own session sshd: killing it drops the connection.
    const { status, sttyRestored, screen } = await typeIntoShell('direct', 'shell', 'kill -9 $PPID');
    assert.equal(status, 1);
    assert.match(screen, /direct: the connection was lost during the interactive shell/);
    assert.ok(sttyRestored);
  });

  it('an exception while the shell runs restores the terminal', async () => {
    // --linewise: the terminal view would put its own stdout.write back over the fabfile's.
    const { status, sttyRestored, screen } = await typeIntoShell('direct', 'explode', 'echo BOOM', ['--linewise']);
    assert.equal(status, 1);
    assert.match(screen, /the screen exploded/);
    assert.ok(sttyRestored);
  });

  it('SIGTERM to fab while the shell runs restores the terminal', async () => {
    const marker = `--set=marker=${process.pid}${Date.now()}`;
    const terminal = start([marker, '-F', tb.sshConfigPath, '-H', 'direct', 'shell']);
    await terminal.waitFor(/\$\s*$/m);
    const [fabProcess] = processesMatching(marker).filter((line) => line.includes('bin.js'));
    assert.ok(fabProcess, 'fab is running');
    process.kill(Number(fabProcess.split(':')[0]), 'SIGTERM');
    const { status, sttyRestored } = await terminal.exit();
    assert.equal(status, 143);
    assert.ok(sttyRestored);
  });

  it('run() with pty: true gets the size of the terminal fab runs in', async () => {
    const terminal = start(['--linewise', '-F', tb.sshConfigPath, '-H', 'direct', '--set', 'pty=true', '--', 'stty size'], { cols: 120, rows: 40 });
    const { status } = await terminal.exit();
    assert.equal(status, 0);
    assert.match(terminal.screen(), /\[direct\] out: 40 120/);
  });
});
