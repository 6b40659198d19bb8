// fabts as a library: plain Node scripts, no fabfile and no fab, importing the built package by its name (a
// node_modules/fabts link to this tree, as a user's install would be), against the real hosts: web1 and web2
// behind the bastion, named by the test bed's ssh_config copied to the script's ~/.ssh/config.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { countBastionConnections, loadTestbed, type Testbed } from '../hosts/testbed.ts';
import { libraryProject, runScript } from '../support/library.ts';

/** The bastion's connection count once it has settled at want (sshd needs a moment to see a client go). */
async function bastionConnectionsSettled(tb: Testbed, want: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (countBastionConnections(tb) !== want && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return countBastionConnections(tb);
}

const PRELUDE = `
import readline from 'node:readline';
// stdin holds the process only while a checkpoint waits on it.
const checkpoint = (name) => new Promise((resolve) => {
  process.stdin.ref();
  const lines = readline.createInterface({ input: process.stdin });
  lines.once('line', () => { lines.close(); process.stdin.unref(); resolve(); });
  console.log(JSON.stringify({ checkpoint: name }));
});
const report = (key, value) => console.log(JSON.stringify({ [key]: value }));
`;

const GROUP_SCRIPT = `
import { connect, Group, GroupError } from 'fabts';
${PRELUDE}
const group = new Group(['web1', 'web2'], { parallel: true });
const result = await group.run('echo $SSH_CONNECTION');
// The fourth field is the server port: each command ran on its own host.
report('group', [...result].map(([host, r]) => [host, r.stdout.trim().split(' ')[3]]));
await checkpoint('group-open');

try {
  await group.run('echo partial; exit 3');
  report('groupError', 'resolved');
} catch (error) {
  report('groupError', { isGroupError: error instanceof GroupError, failed: [...error.result.failed].map(([host, e]) => [host, e.result?.code]), message: error.message });
}

const mixed = new Group(['web1', 'fabtest@127.0.0.1:1']);
try {
  await mixed.run('echo fine');
  report('mixed', 'resolved');
} catch (error) {
  report('mixed', { succeeded: [...error.result.succeeded].map(([host, r]) => [host, String(r)]), failed: [...error.result.failed].map(([host, e]) => [host, e.code]) });
}
await mixed.close();
await group.close();
await checkpoint('group-closed');

const c = await connect('web1');
try {
  await c.run('true');
  await checkpoint('connection-open');
} finally {
  await c[Symbol.asyncDispose]();
}
await checkpoint('connection-closed');
try {
  await c.run('true');
} catch (error) {
  report('afterClose', error.message);
}
`;

const FILES_SCRIPT = `
import fs from 'node:fs';
import { connect, createPool } from 'fabts';
${PRELUDE}
const dir = process.env.REMOTE_DIR + '/lib';
const c = await connect('web2', { sudoPassword: process.env.SUDO_PASSWORD });
await c.mkdir(dir + '/sub', { parents: true });
await c.put(Buffer.from('payload\\n'), dir + '/sub/a.txt');
await c.get(dir + '/sub/a.txt', 'back.txt');
report('get', fs.readFileSync('back.txt', 'utf8'));
report('stat', (await c.stat(dir + '/sub/a.txt')).size);
report('listdir', await c.listdir(dir + '/sub'));
report('isDir', await c.isDir(dir + '/sub'));
report('sudo', String(await c.sudo('id -u')));

// A wrong password on another Connection fails there (no terminal to ask): it says what to set, never the password.
const wrong = await connect('web2', { sudoPassword: 'not-the-password', pool: createPool() });
try {
  await wrong.sudo('true');
  report('wrongSudo', 'ran');
} catch (error) {
  report('wrongSudo', error.message);
}
await wrong.close();
report('sudoAgain', String(await c.sudo('whoami')));

// Output reaches only the Connection that asked for it.
const seen = { a: '', b: '' };
const a = await connect('web1', { onOutput: (host, stream, chunk) => (seen.a += host + ':' + stream + ':' + chunk) });
const b = await connect('web2', { onOutput: (host, stream, chunk) => (seen.b += host + ':' + stream + ':' + chunk) });
await Promise.all([a.run('echo from-a; echo err-a >&2'), b.run('echo from-b')]);
report('output', seen);
await Promise.all([a.close(), b.close(), c.close()]);
`;

const CJS_SCRIPT = `
const { connect } = require('fabts');
(async () => {
  const c = await connect('web1', { reporter: 'lines' });
  await c.run('echo hello-from-require');
  await c.close();
})().catch((error) => { console.error(error.message); process.exitCode = 1; });
`;

describe('fabts as a library, from a plain Node script', () => {
  let tb: Testbed;
  before(() => {
    tb = loadTestbed();
  });

  it('a Group through the bastion shares one bastion connection, reports every host, and closing lets sshd see it go', async () => {
    const dir = libraryProject(tb, { 'group.mjs': GROUP_SCRIPT });
    const counts: Record<string, number> = {};
    const run = await runScript(tb, dir, 'group.mjs', async (name) => {
      counts[name] = await bastionConnectionsSettled(tb, name.endsWith('closed') ? 0 : 1);
    });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(run.stderr, '');
    // Nothing printed by default: every line is the script's own.
    for (const line of run.stdout.trim().split('\n')) assert.match(line, /^\{/);
    assert.deepEqual(run.report.group, [['web1', '2201'], ['web2', '2202']]);
    assert.deepEqual(counts, { 'group-open': 1, 'group-closed': 0, 'connection-open': 1, 'connection-closed': 0 });
    const groupError = run.report.groupError as { isGroupError: boolean; failed: unknown; message: string };
    assert.equal(groupError.isGroupError, true);
    assert.deepEqual(groupError.failed, [['web1', 3], ['web2', 3]]);
    assert.match(groupError.message, /failed on 2 of 2 hosts: web1: .*; web2: /);
    assert.deepEqual(run.report.mixed, { succeeded: [['web1', 'fine']], failed: [['fabtest@127.0.0.1:1', 'CONNECT_FAILED']] });
    assert.match(String(run.report.afterClose), /Connection to web1 is closed/);
  });

  it('put, get, the remote fs helpers and sudo with a password, on a host behind the bastion', async () => {
    const dir = libraryProject(tb, { 'files.mjs': FILES_SCRIPT });
    const run = await runScript(tb, dir, 'files.mjs');
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(run.stderr, '');
    assert.equal(run.report.get, 'payload\n');
    assert.equal(run.report.stat, 8);
    assert.deepEqual(run.report.listdir, ['a.txt']);
    assert.equal(run.report.isDir, true);
    assert.equal(run.report.sudo, '0');
    assert.match(String(run.report.wrongSudo), /sudo/);
    assert.doesNotMatch(String(run.report.wrongSudo), /not-the-password/);
    assert.equal(run.report.sudoAgain, 'root');
    const output = run.report.output as { a: string; b: string };
    assert.match(output.a, /web1:stdout:from-a/);
    assert.match(output.a, /web1:stderr:err-a/);
    assert.doesNotMatch(output.a, /from-b/);
    assert.equal(output.b, 'web2:stdout:from-b\n');
    for (const line of run.stdout.trim().split('\n')) assert.match(line, /^\{/);
  });

  it("CommonJS require('fabts') works, and reporter: 'lines' prints fab's lines", async () => {
    const dir = libraryProject(tb, { 'main.cjs': CJS_SCRIPT });
    const run = await runScript(tb, dir, 'main.cjs');
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /^\[web1\] out: hello-from-require$/m);
  });
});
