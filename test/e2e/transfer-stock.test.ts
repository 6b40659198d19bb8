// FABTS_SSH2_STOCK=1 turns fabts' adaptations of ssh2 internals off (src/ssh/ssh2-internals.ts): transfers then
// run on ssh2 as shipped, which is also what any ssh2 version fabts does not know gets. That path must stay right.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fab, makeProject } from '../support/fab.ts';
import { localScratch, randomContent, remoteScratch, writeAsUser } from '../support/files.ts';
import { loadTestbed } from '../support/remote.ts';

const tb = loadTestbed();

test('with FABTS_SSH2_STOCK=1, put and get of files and a tree move every byte, with ssh2 as shipped', async () => {
  const local = localScratch();
  const remote = remoteScratch(tb, 'stock');
  const up = randomContent(3 * 1024 * 1024 + 7);
  const down = randomContent(2 * 1024 * 1024 + 11);
  fs.writeFileSync(path.join(local, 'up.bin'), up);
  fs.mkdirSync(path.join(local, 'tree', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(local, 'tree', 'a.txt'), 'a\n');
  fs.writeFileSync(path.join(local, 'tree', 'sub', 'b.txt'), 'b\n');
  writeAsUser(tb, `${remote}/down.bin`, down);
  const project = makeProject({
    'fabfile.ts': `
import { put, get } from 'fabts';
export async function move() {
  await put(${JSON.stringify(path.join(local, 'up.bin'))}, ${JSON.stringify(`${remote}/up.bin`)});
  await put(${JSON.stringify(path.join(local, 'tree'))}, ${JSON.stringify(`${remote}/tree`)});
  await get(${JSON.stringify(`${remote}/down.bin`)}, ${JSON.stringify(path.join(local, 'down.bin'))});
}
`,
  });
  const run = await fab(['move', '-F', tb.sshConfigPath, '-H', 'direct'], { cwd: project, env: { FABTS_SSH2_STOCK: '1' } });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(fs.readFileSync(`${remote}/up.bin`).equals(up));
  assert.equal(fs.readFileSync(`${remote}/tree/sub/b.txt`, 'utf8'), 'b\n');
  assert.ok(fs.readFileSync(path.join(local, 'down.bin')).equals(down));
});
