// `fab serve` as an HTTP server, with real clients (fetch and curl): every status code of the API, auth, the Host and
// Origin checks, limits and bad input. Local tasks only: what is tested here is the HTTP face, not SSH.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fab, makeProject } from '../support/fab.ts';
import { postJson, startServe, type ServeProcess } from '../support/serve.ts';

const run = promisify(execFile);
type Json = Record<string, any>;
const SUDO_SECRET = 'Sudo-Secret-In-Config-42';
const dir = makeProject({
  'fabfile.ts': `
import { task, local } from 'fabts';
/** Say hi */
export const hi = task(async ({ who = 'world' }) => { await local(\`printf 'hi %s\\\\n' "\${who}"; seq 1 50\`); });
export const hey = task(async () => { await local('echo hey'); });
export const nap = task(async () => { await local('sleep 30'); });
`,
  // The queue bound comes from the config file's serve key (flags can say the same).
  '.fabrc.json': JSON.stringify({ sudoPassword: SUDO_SECRET, serve: { maxQueue: 1 } }),
});
let open: ServeProcess;
let locked: ServeProcess;
const tokenFile = join(dir, 'tokens');

before(async () => {
  open = await startServe(dir, [], ['--data', join(dir, 'data-open'), '--max-runs', '1']);
  writeFileSync(tokenFile, `run ci ${'r'.repeat(32)}\nread viewer ${'v'.repeat(32)}\n`, { mode: 0o600 });
  locked = await startServe(dir, [], ['--data', join(dir, 'data-locked'), '--token-file', tokenFile]);
});
after(async () => {
  await open.stop();
  await locked.stop();
});

const RUN = { authorization: `Bearer ${'r'.repeat(32)}` };
const READ = { authorization: `Bearer ${'v'.repeat(32)}` };

async function finished(server: ServeProcess, body: Json, headers: Record<string, string> = {}): Promise<Json> {
  const response = await postJson(`${server.url}/api/runs`, body, { prefer: 'wait=60', ...headers });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Json;
}

/** Waits until the server has no run queued or running. */
async function idle(server: ServeProcess): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const { runs } = (await (await fetch(`${server.url}/api/runs?limit=50`)).json()) as { runs: Json[] };
    if (!runs.some((r) => r.state === 'queued' || r.state === 'running' || r.state === 'cancelling')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail('runs still queued or running after 60 s');
}

async function problem(response: Response, status: number): Promise<Json> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const body = (await response.json()) as Json;
  assert.equal(body.status, status);
  assert.ok(!/\n|    at /.test(body.detail), 'one line, no stack');
  return body;
}

/** A raw HTTP request (fetch cannot send a foreign Host header or malformed bytes). */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

test('200: GET /api/tasks lists tasks with descriptions and argument names', async () => {
  const response = await fetch(`${open.url}/api/tasks`);
  assert.equal(response.status, 200);
  const list = (await response.json()) as Json;
  const hi = list.tasks.find((task: Json) => task.name === 'hi');
  assert.equal(hi.description, 'Say hi');
  assert.deepEqual(hi.args, ['who']);
});

test('201 + Location, then 200 with Prefer: wait; Idempotency-Key returns the same run; no secret in any response or event', async () => {
  const created = await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi', args: { who: 'ann' } }] }, { 'idempotency-key': 'k-1' });
  assert.equal(created.status, 201);
  const first = (await created.json()) as Json;
  assert.equal(created.headers.get('location'), `/api/runs/${first.id}`);
  const again = await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi', args: { who: 'ann' } }] }, { 'idempotency-key': 'k-1' });
  assert.equal(((await again.json()) as Json).id, first.id);
  const racing = await Promise.all([0, 1].map(() => postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hey' }] }, { 'idempotency-key': 'k-race' })));
  assert.deepEqual(racing.map((response) => response.status), [201, 201], 'two POSTs at once with one key');
  const raced = (await Promise.all(racing.map((response) => response.json()))) as Json[];
  assert.equal(raced[0]!.id, raced[1]!.id, 'make one run');
  // --max-runs 1 and a queue of 1: the runs above must be over before the next POST has room.
  await idle(open);
  const waited = await finished(open, { tasks: [{ name: 'hi', args: { who: 'bob, =x' } }] });
  assert.equal(waited.state, 'ok');
  const events = await (await fetch(`${open.url}/api/runs/${waited.id}/events?format=ndjson`)).text();
  assert.match(events, /hi bob, =x\\n/, 'an argument with , and = arrives as one value');
  assert.match(events, /"sudoPassword":"\*\*\*"/);
  for (const text of [events, await (await fetch(`${open.url}/api/runs/${waited.id}`)).text(), await (await fetch(`${open.url}/api/runs`)).text()]) {
    assert.ok(!text.includes(SUDO_SECRET));
  }
});

test('202 on cancel, 409 once ended; 429 with Retry-After when the queue is full', async () => {
  const busy = (await (await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'nap' }] })).json()) as Json;
  try {
    const waiting = (await (await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi' }] })).json()) as Json;
    assert.equal(waiting.state, 'queued', '--max-runs 1: the second waits');
    const full = await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hey' }] });
    await problem(full, 429);
    assert.ok(Number(full.headers.get('retry-after')) > 0);
  } finally {
    assert.equal((await fetch(`${open.url}/api/runs/${busy.id}/cancel`, { method: 'POST' })).status, 202);
  }
  const waiting = (await (await fetch(`${open.url}/api/runs?task=hi&limit=1`)).json() as Json).runs[0] as Json;
  for (let tries = 0; tries < 200; tries++) {
    const state = ((await (await fetch(`${open.url}/api/runs/${waiting.id}`)).json()) as Json).state;
    if (state === 'ok') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(((await (await fetch(`${open.url}/api/runs/${busy.id}`)).json()) as Json).state, 'cancelled');
  await problem(await fetch(`${open.url}/api/runs/${busy.id}/cancel`, { method: 'POST' }), 409);
});

test('204 for OPTIONS with Allow; 405 with Allow for a method the path lacks', async () => {
  const options = await fetch(`${open.url}/api/runs`, { method: 'OPTIONS' });
  assert.equal(options.status, 204);
  assert.match(options.headers.get('allow') ?? '', /GET.*POST|POST.*GET/);
  const wrong = await fetch(`${open.url}/api/runs`, { method: 'DELETE' });
  await problem(wrong, 405);
  assert.match(wrong.headers.get('allow') ?? '', /POST/);
});

test('206 for a Range of a host log, 416 for one past its end', async () => {
  const done = await finished(open, { tasks: [{ name: 'hi' }] });
  const url = `${open.url}/api/runs/${done.id}/hosts/localhost/log`;
  const whole = await (await fetch(url)).text();
  const part = await fetch(url, { headers: { range: 'bytes=5-14' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 5-14/${Buffer.byteLength(whole)}`);
  assert.equal(await part.text(), Buffer.from(whole).subarray(5, 15).toString());
  const tail = await fetch(url, { headers: { range: 'bytes=-10' } });
  assert.equal(await tail.text(), Buffer.from(whole).subarray(-10).toString());
  const past = await fetch(url, { headers: { range: `bytes=${Buffer.byteLength(whole) + 10}-` } });
  await problem(past, 416);
  assert.equal(past.headers.get('content-range'), `bytes */${Buffer.byteLength(whole)}`);
});

test('304 for an unchanged history page or run (ETag / If-None-Match); history filters and pages', async () => {
  for (let i = 0; i < 3; i++) await finished(open, { tasks: [{ name: 'hi' }] });
  const first = await fetch(`${open.url}/api/runs?task=hi&state=ok&limit=2`);
  const page = (await first.json()) as Json;
  assert.equal(page.runs.length, 2);
  assert.ok(page.runs[0].id > page.runs[1].id, 'newest first');
  assert.ok(page.runs.every((row: Json) => row.state === 'ok' && row.tasks[0].name === 'hi'));
  const next = (await (await fetch(`${open.url}${page.next}`)).json()) as Json;
  assert.ok(next.runs[0].id < page.runs[1].id);
  const etag = first.headers.get('etag')!;
  assert.equal((await fetch(`${open.url}/api/runs?task=hi&state=ok&limit=2`, { headers: { 'if-none-match': etag } })).status, 304);
  assert.equal((await fetch(`${open.url}/api/runs?task=nap&limit=2`, { headers: { 'if-none-match': etag } })).status, 200);
  assert.deepEqual(((await (await fetch(`${open.url}/api/runs?task=nosuch`)).json()) as Json).runs, []);
});

test('400 for malformed JSON or UTF-8 and bad query values; 422 naming the field for a body that breaks the schema', async () => {
  await problem(await fetch(`${open.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"tasks":' }), 400);
  const bytes = Buffer.concat([Buffer.from('{"tasks":[{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]);
  const badUtf8 = await raw(`${open.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes });
  assert.ok(badUtf8.status === 400 || badUtf8.status === 422, String(badUtf8.status));
  await problem(await fetch(`${open.url}/api/runs?limit=lots`), 400);
  const missing = await problem(await postJson(`${open.url}/api/runs`, { hosts: ['web1'] }), 422);
  assert.match(missing.detail, /tasks/);
  const unknown = await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'nosuch' }] }), 422);
  assert.match(unknown.detail, /^tasks\/0\/name: no task named "nosuch"/);
  const extra = await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi' }], hostz: ['x'] }), 422);
  assert.match(extra.detail, /hostz/);
  const flag = await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: '--help' }] }), 422);
  assert.match(flag.detail, /tasks\/0\/name/);
  const retarget = await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi', args: { hosts: 'evil' } }] }), 422);
  assert.match(retarget.detail, /tasks\/0\/args\/hosts/);
  const secret = await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi' }], set: { sudoPassword: 'x' } }), 422);
  assert.match(secret.detail, /set\/sudoPassword/);
  // fab reads `sudo_password` as sudoPassword: compared as fab reads it.
  assert.match((await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi' }], set: { sudo_password: 'x' } }), 422)).detail, /set\/sudo_password: secrets/);
  // fab's own settings would give the run another command (shell), log folder, hosts, keys: only the fabfile's keys.
  for (const key of ['shell', 'log_dir', 'hosts', 'gateway', 'hostKeyPolicy', 'abort_on_prompts']) {
    const own = await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi' }], set: { [key]: 'x' } }), 422);
    assert.match(own.detail, new RegExp(`^set/${key}: \\w+ is one of fab's own settings`));
  }
  // Argument names as fab reads them: ' hosts' is trimmed to hosts; excludeHosts retargets too.
  await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi', args: { ' hosts': 'evil' } }] }), 422);
  assert.match((await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi', args: { excludeHosts: 'x' } }] }), 422)).detail, /args\/excludeHosts/);
  // A host that would read as a flag on the child's command line.
  await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi' }], hosts: ['-P'] }), 422);
  await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi' }], exclude: ['--'] }), 422);
});

test('401 with WWW-Authenticate without a token or with a wrong one; 403 for a read token that tries to run; read tokens read', async () => {
  const none = await fetch(`${locked.url}/api/runs`);
  await problem(none, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer /);
  await problem(await fetch(`${locked.url}/api/runs`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } }), 401);
  assert.equal((await fetch(`${locked.url}/api/runs`, { headers: READ })).status, 200);
  const denied = await problem(await postJson(`${locked.url}/api/runs`, { tasks: [{ name: 'hi' }] }, READ), 403);
  assert.match(denied.detail, /read role/);
  const allowed = await postJson(`${locked.url}/api/runs`, { tasks: [{ name: 'hi' }] }, { ...RUN, prefer: 'wait=60' });
  assert.equal(allowed.status, 200);
  assert.deepEqual(((await allowed.json()) as Json).startedBy, { name: 'ci', role: 'run' });
  assert.equal((await fetch(`${locked.url}/healthz`)).status, 200, 'health needs no token');
});

test('429 with Retry-After after repeated wrong tokens from one address, also for a right token then', async () => {
  const own = await startServe(dir, [], ['--data', join(dir, 'data-lockout'), '--token-file', tokenFile]);
  try {
    for (let i = 0; i < 10; i++) assert.equal((await fetch(`${own.url}/api/runs`, { headers: { authorization: `Bearer guess-${i}-guess-guess` } })).status, 401);
    const blocked = await fetch(`${own.url}/api/runs`, { headers: RUN });
    await problem(blocked, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
  } finally {
    await own.stop();
  }
});

test('403 for a state-changing request from another origin (a web page the user has open); same origin passes', async () => {
  const cross = await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi' }] }, { origin: 'https://evil.example' });
  await problem(cross, 403);
  const site = await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi' }] }, { 'sec-fetch-site': 'cross-site' });
  await problem(site, 403);
  const same = await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi' }] }, { origin: open.url, prefer: 'wait=60' });
  assert.equal(same.status, 200);
});

test('421 for a Host the server does not answer to (DNS rebinding); localhost passes', async () => {
  const rebound = await raw(`${open.url}/api/runs`, { headers: { host: `evil.example:${open.port}` } });
  assert.equal(rebound.status, 421);
  assert.match((JSON.parse(rebound.body) as Json).detail, new RegExp(`does not answer to the name "evil.example"; use 127.0.0.1:${open.port}`));
  assert.equal((await raw(`${open.url}/api/runs`, { headers: { host: `localhost:${open.port}` } })).status, 200);
});

test('404 for unknown paths, runs, and host names that try to leave the log folder', async () => {
  await problem(await fetch(`${open.url}/api/nothing`), 404);
  await problem(await fetch(`${open.url}/api/runs/424242`), 404);
  const done = await finished(open, { tasks: [{ name: 'hi' }] });
  for (const host of ['..%2F..%2Ffab-serve.sqlite', '..', 'run.log', '%2Fetc%2Fpasswd']) {
    const response = await fetch(`${open.url}/api/runs/${done.id}/hosts/${host}/log`);
    assert.equal(response.status, 404, host);
  }
});

test('406 when the Accept header allows nothing the route answers with', async () => {
  await problem(await fetch(`${open.url}/api/runs`, { headers: { accept: 'text/html' } }), 406);
  await problem(await fetch(`${open.url}/api/runs/1/events`, { headers: { accept: 'application/json' } }), 406);
  assert.equal((await fetch(`${open.url}/api/runs`, { headers: { accept: 'application/*' } })).status, 200);
});

test('413 for a body over 64 KiB, 415 for a body that is not JSON', async () => {
  await problem(await postJson(`${open.url}/api/runs`, { tasks: [{ name: 'hi', args: { who: 'x'.repeat(70_000) } }] }), 413);
  await problem(await fetch(`${open.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"tasks":[{"name":"hi"}]}' }), 415);
  await problem(await fetch(`${open.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'tasks=hi' }), 415);
});

test('curl: Expect: 100-continue is honoured (100, then 201); an announced body over the limit gets 413 before it is sent', async () => {
  const body = join(dir, 'body.json');
  writeFileSync(body, JSON.stringify({ tasks: [{ name: 'hey', args: { who: 'y'.repeat(2000) } }] }));
  const ok = await run('curl', ['-sv', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Expect: 100-continue', '-H', 'content-type: application/json', '--data-binary', `@${body}`, `${open.url}/api/runs`]);
  assert.match(ok.stderr, /< HTTP\/1.1 100 Continue/);
  assert.equal(ok.stdout, '201');
  const big = join(dir, 'big.json');
  writeFileSync(big, 'z'.repeat(200_000));
  const refused = await run('curl', ['-sv', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Expect: 100-continue', '-H', 'content-type: application/json', '--data-binary', `@${big}`, `${open.url}/api/runs`]);
  assert.equal(refused.stdout, '413');
  assert.doesNotMatch(refused.stderr, /100 Continue/);
});

test('curl: trigger with one line, follow with another (the README\'s commands)', async () => {
  const created = await run('curl', ['-s', '-X', 'POST', '-H', 'content-type: application/json', '-d', '{"tasks":[{"name":"hi","args":{"who":"curl"}}]}', `${open.url}/api/runs`]);
  const id = (JSON.parse(created.stdout) as Json).id;
  const followed = await run('curl', ['-sN', `${open.url}/api/runs/${id}/events`]);
  assert.match(followed.stdout, /"text":"hi curl\\n/);
  assert.match(followed.stdout, /event: end\ndata: \{"id":\d+,"state":"ok"/);
});

test('500 as problem+json without internals when the server fails (a log replaced by a directory)', async () => {
  const done = await finished(open, { tasks: [{ name: 'hi' }] });
  const file = join(dir, 'data-open', 'runs', String(done.id), 'logs', 'localhost.log');
  rmSync(file);
  mkdirSync(file);
  const response = await fetch(`${open.url}/api/runs/${done.id}/hosts/localhost/log`);
  const body = await problem(response, 500);
  assert.doesNotMatch(body.detail, /EISDIR|\/data-open\//);
});

test('431 for huge headers; the metrics count requests by status', async () => {
  const huge = await raw(`${open.url}/api/runs`, { headers: { 'x-filler': 'a'.repeat(40_000) } }).catch(() => ({ status: 431 }));
  assert.equal(huge.status, 431);
  const metrics = await (await fetch(`${open.url}/metrics`)).text();
  assert.match(metrics, /^fab_serve_runs\{state="ok"\} [1-9]/m);
  assert.match(metrics, /^fab_serve_requests_total\{status="404"\} [1-9]/m);
  assert.match(metrics, /^fab_serve_sse_clients 0$/m);
  const openapi = (await (await fetch(`${open.url}/api/openapi.json`)).json()) as Json;
  assert.ok(openapi.paths['/api/runs'].post);
});

test('slowloris: 300 clients trickling their headers hold no socket past the header timeout, and others are served meanwhile', async () => {
  const sockets: Socket[] = [];
  const closedAt: number[] = [];
  const started = Date.now();
  const trickle = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write('a');
  }, 1_000);
  try {
    for (let i = 0; i < 300; i++) {
      const socket = connect(open.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.on('close', () => closedAt.push(Date.now() - started));
      socket.write(`GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1:${open.port}\r\nX-Slow: `);
      sockets.push(socket);
    }
    // While they hang on, everyone else is still served.
    assert.equal((await fetch(`${open.url}/healthz`)).status, 200);
    assert.equal(closedAt.length, 0, 'nobody was cut off early');
    // The server's header timeout is 20 s; Node's default (60 s, checked every 30 s) would still hold them all.
    while (closedAt.length < sockets.length && Date.now() - started < 45_000) await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(closedAt.length, sockets.length, `${sockets.length - closedAt.length} slow sockets still open after 45 s`);
    assert.ok(Math.min(...closedAt) >= 15_000, 'closed by the header timeout, not at once');
  } finally {
    clearInterval(trickle);
    for (const socket of sockets) socket.destroy();
  }
  assert.equal((await fetch(`${open.url}/healthz`)).status, 200);
});

test('a token file that is missing is created 0600 and its tokens shown once; beyond loopback needs a token file', async () => {
  const fresh = join(dir, 'fresh-tokens');
  const first = await startServe(dir, [], ['--data', join(dir, 'data-fresh'), '--token-file', fresh]);
  await first.stop();
  assert.equal(statSync(fresh).mode & 0o777, 0o600);
  const token = /^run admin (\S+)$/m.exec(readFileSync(fresh, 'utf8'))![1]!;
  assert.ok(first.log().includes(token), 'shown at creation');
  const second = await startServe(dir, [], ['--data', join(dir, 'data-fresh'), '--token-file', fresh]);
  await second.stop();
  assert.ok(!second.log().includes(token), 'never again');
  const wide = await fab(['serve', '--listen', '0.0.0.0:0'], { cwd: dir });
  assert.equal(wide.code, 2);
  assert.match(wide.stderr, /beyond loopback\) needs --token-file/);
  const plain = await fab(['serve', '--listen', '0.0.0.0:0', '--token-file', tokenFile], { cwd: dir });
  assert.equal(plain.code, 2);
  assert.match(plain.stderr, /needs --tls-cert and --tls-key, or --insecure-http/);
});

test('TLS: --tls-cert/--tls-key serve HTTPS (curl checks the certificate it was given)', async () => {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  const tls = await startServe(dir, [], ['--data', join(dir, 'data-tls'), '--tls-cert', cert, '--tls-key', key]);
  try {
    assert.match(tls.url, /^https:/);
    const health = await run('curl', ['-s', '--cacert', cert, `${tls.url}/healthz`]);
    assert.equal((JSON.parse(health.stdout) as Json).status, 'ok');
    const plain = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${tls.port}/healthz`]).catch((error: { stdout: string }) => error);
    assert.notEqual(plain.stdout, '200', 'no plain HTTP on the TLS port');
  } finally {
    await tls.stop();
  }
});

test('event streams are bounded (429 with Retry-After past the cap) and carry heartbeat comments while a run is quiet', async () => {
  const own = await startServe(dir, [], ['--data', join(dir, 'data-streams')], { FABTS_SERVE_MAX_STREAMS: '2', FABTS_SERVE_HEARTBEAT_MS: '100' });
  try {
    const napping = (await (await postJson(`${own.url}/api/runs`, { tasks: [{ name: 'nap' }] })).json()) as Json;
    const streams = [0, 1].map(() => fetch(`${own.url}/api/runs/${napping.id}/events`, { headers: { accept: 'text/event-stream' } }));
    const [first] = await Promise.all(streams);
    const reader = first!.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
    const third = await fetch(`${own.url}/api/runs/${napping.id}/events`, { headers: { accept: 'text/event-stream' } });
    await problem(third, 429);
    assert.ok(Number(third.headers.get('retry-after')) > 0);
    const metrics = await (await fetch(`${own.url}/metrics`)).text();
    assert.match(metrics, /^fab_serve_sse_clients 2$/m);
    assert.equal((await fetch(`${own.url}/api/runs/${napping.id}/cancel`, { method: 'POST' })).status, 202);
    await reader.cancel();
  } finally {
    await own.stop();
  }
});

test('--keep-runs: older finished runs go, their logs with them', async () => {
  const data = join(dir, 'data-keep');
  const own = await startServe(dir, [], ['--data', data, '--keep-runs', '2']);
  try {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await finished(own, { tasks: [{ name: 'hey' }] })).id);
    await problem(await fetch(`${own.url}/api/runs/${ids[0]}`), 404);
    assert.equal(statSync(join(data, 'runs', String(ids[0])), { throwIfNoEntry: false }), undefined, 'its log folder is gone');
    assert.equal((await fetch(`${own.url}/api/runs/${ids[2]}/hosts/localhost/log`)).status, 200);
    assert.deepEqual(((await (await fetch(`${own.url}/api/runs`)).json()) as Json).runs.map((run: Json) => run.id), [ids[2], ids[1]]);
  } finally {
    await own.stop();
  }
});
