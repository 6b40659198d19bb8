// sshd runs every command line through the user's login shell (issue 16 item 2). Whatever that shell is (bash,
// dash, zsh, busybox sh, fish, tcsh, csh), values holding ' " $ ` \ ! newlines and non-ASCII reach /bin/sh byte
// for byte through run``, cd(), sudo``, shellEnv() and the env option; a command that did not run never looks
// like success.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cd, run, settings, shellEnv, sudo } from '../../src/index.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import { LOGIN_SHELLS, hostSettings, makeUser, removeUsers, startCompatSshd, type CompatUser, type LoginShell } from '../support/compat-hosts.ts';
import { onHost, useTestbed, type Testbed } from '../support/remote.ts';
import type { ExtraSshd } from '../support/sshd.ts';

let tb: Testbed;
let sshd: ExtraSshd;
const users = new Map<LoginShell, CompatUser>();
const VALUES = ["it's", 'say "hi"', '$HOME $(id) ${x}', '`id`', 'a\\b\\\\c', 'wow!', '!!', 'two\nlines', 'ünïcødé ✓ 日本語', `'"$\`\\!\n`, ''];
const DIR_NAME = `d'q"$x\`!\\ü\nz`;

before(async () => {
  tb = useTestbed();
  for (const shell of Object.keys(LOGIN_SHELLS) as LoginShell[]) users.set(shell, makeUser(tb, shell, shell));
  sshd = await startCompatSshd(tb);
});
after(async () => {
  await closeAll();
  sshd?.stop();
  removeUsers();
});

const echoed = (values: string[]) => values.map((value) => `<${value}>`).join('');

function as<T>(shell: LoginShell, fn: () => Promise<T>): Promise<T> {
  const user = users.get(shell)!;
  return onHost(`${user.name}@127.0.0.1:${sshd.port}`, () => settings(hostSettings(tb, user.name), fn));
}

for (const shell of Object.keys(LOGIN_SHELLS) as LoginShell[]) {
  describe(`login shell ${shell}`, () => {
    it('run`` and sudo`` get every value as it is', async () => {
      const [plain, root] = await as(shell, async () => [await run`printf '<%s>' ${VALUES}`, await sudo`printf '<%s>' ${VALUES}`]);
      assert.equal(plain!.stdout, echoed(VALUES));
      assert.equal(root!.stdout, echoed(VALUES));
    });

    it('shellEnv() and the env option, under run and sudo', async () => {
      for (const value of VALUES) {
        const results = await as(shell, () =>
          shellEnv({ VALUE: value }, async () => [await run(`printf '<%s>' "$VALUE"`), await sudo(`printf '<%s>' "$VALUE"`), await run(`printf '<%s>' "$OTHER"`, { env: { OTHER: value } })]),
        );
        assert.deepEqual(results.map((result) => result.stdout), [echoed([value]), echoed([value]), echoed([value])], JSON.stringify(value));
      }
    });

    it('cd() into a directory whose name holds every awkward character, under run and sudo', async () => {
      const user = users.get(shell)!;
      const dir = path.join(user.home, DIR_NAME);
      fs.mkdirSync(dir, { recursive: true });
      fs.chownSync(dir, user.uid, user.uid);
      const [plain, root] = await as(shell, () => cd(dir, async () => [await run('pwd'), await sudo('pwd')]));
      assert.equal(plain!.stdout, `${dir}\n`);
      assert.equal(root!.stdout, `${dir}\n`);
    });

    it('plain commands, exit codes and a syntax error are what /bin/sh says', async () => {
      const [plain, code, broken] = await as(shell, async () => [
        await run('echo plain words'),
        await run('exit 3', { warnOnly: true }),
        await run("echo 'unterminated", { warnOnly: true }),
      ]);
      assert.equal(plain!.stdout, 'plain words\n');
      assert.equal(code!.code, 3);
      assert.equal(broken!.ok, false, 'a command that could not run is not a success');
      assert.notEqual(broken!.code, 0);
    });
  });
}
