// fabfile.example.ts and the demo's steps, run by the built `fab` against the test bed: the README's main job.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { demoSteps, startDemoApp } from '../hosts/demo-steps.ts';
import { loadTestbed, type Testbed } from '../hosts/testbed.ts';
import { fab, makeProject } from '../support/fab.ts';

const FABFILE = fileURLToPath(new URL('../../fabfile.example.ts', import.meta.url));

let tb: Testbed;
before(() => {
  tb = loadTestbed();
});

describe('fabfile.example.ts on the test bed (the demo)', () => {
  it('every demo step succeeds and does what it says', async () => {
    const home = makeProject({});
    const config = path.join(home, 'demo.fabrc.json');
    const root = path.join(tb.remoteDir, `example-${process.pid}`);
    // A lock directory of this run's own: test runs on one machine share the fabtest user's home.
    fs.writeFileSync(config, JSON.stringify({ sudoPassword: tb.password, demoRoot: root, lockDir: path.join(root, 'locks') }), { mode: 0o600 });
    after(await startDemoApp(tb));
    const outputs: string[] = [];
    for (const args of demoSteps(tb, FABFILE, config)) {
      const out = await fab(args, { cwd: home });
      assert.equal(out.code, 0, `fab ${args.join(' ')}\n${out.stdout}${out.stderr}`);
      assert.ok(!out.stdout.includes(tb.password) && !out.stderr.includes(tb.password));
      outputs.push(out.stdout);
    }
    const [list, info, upload, logs, deploy, rolling] = outputs;
    assert.match(list!, /info\s+Show local and remote host information/);
    assert.match(info!, /^\[web1\] out: Linux .*, fabtest since/m);
    assert.match(upload!, /^\[web1\] put: .*error\.log -> .*\/web1\/logs\/error\.log$/m);
    assert.match(logs!, /^\[web1\] get: .*\/web1\/logs\/access\.log -> .*\/web1\/access\.log$/m);
    assert.doesNotMatch(logs!, /notes\.txt/, 'only the .log entries are acted on');
    for (const host of ['web1', 'web2']) {
      assert.match(deploy!, new RegExp(`^\\[${host}\\] out: demo-1$`, 'm'));
    }
    // The done-means command of the rolling deploy: canary web1, then web2, each gated on /health through its own connection.
    assert.match(rolling!, /^lock: took the deploy lock on web1, web2 \(run [0-9a-f]+\)$/m);
    assert.match(rolling!, /^batch 1\/2: web1\n[\s\S]*^\[web1\] gate: passed http:\/\/127\.0\.0\.1:8080\/health \(HTTP 200\)\n[\s\S]*^batch 2\/2: web2$/m);
    assert.match(rolling!, /^\[web2\] gate: passed http:\/\/127\.0\.0\.1:8080\/health \(HTTP 200\)$/m);
    assert.match(rolling!, /^deploy: 2 of 2 batches done\n {2}new version: web1, web2$/m);
    for (const host of ['web1', 'web2']) assert.equal(fs.readFileSync(path.join(root, host, 'app/current/VERSION'), 'utf8'), 'demo-2\n');
    assert.deepEqual(fs.readdirSync(path.join(root, 'locks')).filter((name) => name !== 'audit.log'), [], 'the lock was released');
  });
});
