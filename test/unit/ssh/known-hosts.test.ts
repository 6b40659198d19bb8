// known_hosts reading, matching and appending, checked against ssh-keygen (-lf, -H, -F) as the oracle.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  KnownHosts,
  appendKnownHost,
  fingerprint,
  formatKnownHostLine,
  hostKeyAlgorithmsFor,
  keyTypeOf,
  knownHostName,
  matchPattern,
  parseKnownHosts,
  type HostKey,
} from '../../../src/ssh/known-hosts.ts';

let dir: string;
const keys: Record<'ed' | 'rsa' | 'ec' | 'ed2', { pubLine: string; key: HostKey; pubFile: string }> = {} as never;

function makeKey(name: keyof typeof keys, type: string, extra: string[] = []): void {
  const file = join(dir, `key_${name}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...extra, '-N', '', '-C', `c-${name}`, '-f', file]);
  const pubLine = readFileSync(file + '.pub', 'utf8').trim();
  const [t, b64] = pubLine.split(' ') as [string, string];
  keys[name] = { pubLine: `${t} ${b64}`, key: { type: t, data: Buffer.from(b64, 'base64') }, pubFile: file + '.pub' };
}

/** Lines ssh-keygen -F reports for a host (the oracle for matching). */
function keygenFind(file: string, query: string): number[] {
  const r = spawnSync('ssh-keygen', ['-F', query, '-f', file], { encoding: 'utf8' });
  return [...r.stdout.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fabts-kh-'));
  makeKey('ed', 'ed25519');
  makeKey('ed2', 'ed25519');
  makeKey('rsa', 'rsa', ['-b', '2048']);
  makeKey('ec', 'ecdsa');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprint', () => {
  it('matches ssh-keygen -lf for ed25519, rsa and ecdsa keys', () => {
    for (const k of Object.values(keys)) {
      const out = execFileSync('ssh-keygen', ['-lf', k.pubFile], { encoding: 'utf8' });
      assert.equal(fingerprint(k.key.data), out.split(' ')[1]);
    }
  });
  it('reads the key type out of the blob', () => {
    assert.equal(keyTypeOf(keys.ed.key.data), 'ssh-ed25519');
    assert.equal(keyTypeOf(keys.rsa.key.data), 'ssh-rsa');
    assert.equal(keyTypeOf(keys.ec.key.data), 'ecdsa-sha2-nistp256');
    assert.equal(keyTypeOf(Buffer.from([0, 0, 0, 9, 1])), undefined);
  });
});

describe('matching', () => {
  it('glob patterns', () => {
    assert.ok(matchPattern('web1.corp', 'web?.corp'));
    assert.ok(!matchPattern('web12.corp', 'web?.corp'));
    assert.ok(matchPattern('a.b.example.com', '*.example.com'));
    assert.ok(matchPattern('[db]:2222', '*'));
    assert.ok(matchPattern('abc', 'a*b*c'));
    assert.ok(!matchPattern('abx', 'a*b*c'));
    assert.ok(matchPattern('', '*'));
  });

  it('agrees with ssh-keygen -F on plain, wildcard, negated, bracketed, marked and messy lines', () => {
    const K = keys.ed.pubLine;
    const file = join(dir, 'kh_patterns');
    writeFileSync(
      file,
      [
        `*.example.com,!bad.example.com ${K}`,
        '# comment',
        '',
        `web?.corp ${K}`,
        `[db.corp]:2222 ${K}`,
        `@revoked * ${K}`,
        `@cert-authority *.corp ${K}`,
        `foo,BAR ${K} trailing comment here`,
        `  \tindented.host ${K}`,
        `[10.0.0.*]:2200 ${K}`,
        `crlf.host ${K}\r`,
        `@bogus-marker x ${K}`,
        'garbage line without key',
        `truncated.host ssh-ed25519`,
        `1024 35 12345678901234567890 rsa1.host`,
        `[::1]:2222,::1 ${K}`,
        `db.corp ${K}`,
      ].join('\n') + '\n',
    );
    const kh = new KnownHosts(parseKnownHosts(readFileSync(file, 'utf8'), file));
    const queries: [string, number][] = [
      ['a.example.com', 22],
      ['bad.example.com', 22],
      ['web1.corp', 22],
      ['web12.corp', 22],
      ['db.corp', 2222],
      ['db.corp', 22],
      ['bar', 22],
      ['BAR', 22],
      ['Foo', 22],
      ['indented.host', 22],
      ['10.0.0.7', 2200],
      ['10.0.0.7', 22],
      ['crlf.host', 22],
      ['x', 22],
      ['truncated.host', 22],
      ['::1', 2222],
      ['::1', 22],
      ['nothing.here', 2222],
    ];
    for (const [host, port] of queries) {
      const ours = kh.entriesFor(host, port).map((e) => e.line).sort((a, b) => a - b);
      // ssh-keygen -F lists invalid lines too only when they match; we drop invalid lines entirely.
      const theirs = keygenFind(file, knownHostName(host, port)).filter((n) => ![12, 13, 14, 15].includes(n));
      assert.deepEqual(ours, theirs, `${host}:${port}`);
    }
  });

  it('matches entries hashed by ssh-keygen -H, for port 22 and [host]:port', () => {
    const file = join(dir, 'kh_hashed');
    writeFileSync(file, `web1.corp ${keys.ed.pubLine}\n[web2.corp]:2222 ${keys.rsa.pubLine}\nother ${keys.ec.pubLine}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'pipe' }); // its .old-file warning is noise here
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('web1.corp') && text.startsWith('|1|'));
    const kh = new KnownHosts(parseKnownHosts(text, file));
    assert.deepEqual(kh.check('web1.corp', 22, keys.ed.key), { status: 'match', file, line: 1 });
    assert.deepEqual(kh.check('WEB1.corp', 22, keys.ed.key), { status: 'match', file, line: 1 });
    assert.deepEqual(kh.check('web2.corp', 2222, keys.rsa.key), { status: 'match', file, line: 2 });
    assert.deepEqual(kh.check('web2.corp', 22, keys.rsa.key), { status: 'unknown' });
    assert.deepEqual(kh.check('web1.corp', 2222, keys.ed.key), { status: 'unknown' });
  });
});

describe('KnownHosts.check', () => {
  it('match, unknown, changed (same type), changed (other type, as OpenSSH), revoked, cert-authority', async () => {
    const f1 = join(dir, 'kh_check1');
    const f2 = join(dir, 'kh_check2');
    writeFileSync(
      f1,
      [
        `web1 ${keys.ed.pubLine}`,
        `web2 ${keys.ed2.pubLine}`,
        `rsaonly ${keys.rsa.pubLine}`,
        `@cert-authority * ${keys.ec.pubLine}`,
        `@revoked web3 ${keys.ed.pubLine}`,
        `web3 ${keys.ed.pubLine}`,
      ].join('\n'),
    );
    writeFileSync(f2, `web2 ${keys.ed.pubLine}\n`);
    const kh = await KnownHosts.load([join(dir, 'missing-file'), f1, f2, join(dir, 'no', 'such', 'dir')]);
    assert.deepEqual(kh.check('web1', 22, keys.ed.key), { status: 'match', file: f1, line: 1 });
    // web2 has ed2 in f1 (differs) but ed in f2 (matches): a match anywhere wins.
    assert.deepEqual(kh.check('web2', 22, keys.ed.key), { status: 'match', file: f2, line: 1 });
    assert.deepEqual(kh.check('web1', 22, keys.ed2.key), { status: 'changed', file: f1, line: 1, knownType: 'ssh-ed25519' });
    // Only an RSA key is known: OpenSSH 9.2 reports an ED25519 key as CHANGED, not new.
    assert.deepEqual(kh.check('rsaonly', 22, keys.ed.key), { status: 'changed', file: f1, line: 3, knownType: 'ssh-rsa' });
    assert.deepEqual(kh.knownKeyTypes('rsaonly', 22), ['ssh-rsa']);
    // The @cert-authority line (pattern *) matches no plain key and leaves "changed" to plain lines; a host known only
    // through it cannot be checked (ssh2 has no host certificates) instead of being new.
    assert.deepEqual(kh.check('newhost', 22, keys.ec.key), { status: 'cert-authority', file: f1, line: 4 });
    assert.deepEqual(kh.check('newhost', 22, keys.ed.key), { status: 'cert-authority', file: f1, line: 4 });
    assert.deepEqual(new KnownHosts(kh.entries.filter((e) => e.marker !== 'cert-authority')).check('newhost', 22, keys.ed.key), { status: 'unknown' });
    // Revoked wins even though line 6 matches.
    assert.deepEqual(kh.check('web3', 22, keys.ed.key), { status: 'revoked', file: f1, line: 5 });
  });

  it('orders host key algorithms with the known types first', () => {
    assert.equal(hostKeyAlgorithmsFor([]), undefined);
    const rsaFirst = hostKeyAlgorithmsFor(['ssh-rsa'])!;
    assert.deepEqual(rsaFirst.slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.ok(rsaFirst.includes('ssh-ed25519'));
    assert.equal(new Set(rsaFirst).size, rsaFirst.length);
    assert.equal(hostKeyAlgorithmsFor(['ecdsa-sha2-nistp384'])![0], 'ecdsa-sha2-nistp384');
  });
});

describe('appendKnownHost', () => {
  it('creates the parent dir (0700) and the file (0600); the entry is found by ssh-keygen -F', async () => {
    const file = join(dir, 'newdir', 'sub', 'known_hosts');
    assert.equal(await appendKnownHost(file, 'Web1.Example.com', 22, keys.ed.key), true);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'newdir', 'sub')).mode & 0o777, 0o700);
    assert.equal(readFileSync(file, 'utf8'), `web1.example.com ${keys.ed.pubLine}\n`);
    assert.deepEqual(keygenFind(file, 'web1.example.com'), [1]);
  });

  it('keeps existing bytes and mode, adds the missing final newline, hashes on request', async () => {
    const file = join(dir, 'kh_keep');
    const original = `# my hosts\r\nalpha ${keys.rsa.pubLine} comment\n\n  weird   line  \nbeta ${keys.ec.pubLine}`; // no final newline
    writeFileSync(file, original);
    chmodSync(file, 0o644);
    await appendKnownHost(file, 'gamma', 2222, keys.ed.key, { hash: true });
    const after = readFileSync(file, 'utf8');
    assert.ok(after.startsWith(original + '\n'), 'original bytes kept, newline added');
    const added = after.slice(original.length + 1);
    assert.match(added, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
    assert.equal(statSync(file).mode & 0o777, 0o644);
    assert.deepEqual(keygenFind(file, '[gamma]:2222'), [6]);
    // Second append to a file that ends with a newline adds no blank line.
    await appendKnownHost(file, 'delta', 22, keys.ed2.key);
    assert.equal(readFileSync(file, 'utf8'), after + `delta ${keys.ed2.pubLine}\n`);
    // The same key for the same host is not written twice.
    assert.equal(await appendKnownHost(file, 'delta', 22, keys.ed2.key), false);
    assert.equal(readFileSync(file, 'utf8'), after + `delta ${keys.ed2.pubLine}\n`);
  });

  it('loses no line when many hosts are appended in parallel, and leaves no temp files', async () => {
    const file = join(dir, 'kh_parallel', 'known_hosts');
    const hosts = Array.from({ length: 60 }, (_, i) => `host${i}.example`);
    await Promise.all(hosts.map((h, i) => appendKnownHost(file, h, i % 2 ? 2200 + i : 22, i % 3 ? keys.ed.key : keys.rsa.key, { hash: i % 4 === 0 })));
    const text = readFileSync(file, 'utf8');
    assert.equal(text.split('\n').filter(Boolean).length, hosts.length);
    const kh = await KnownHosts.load([file]);
    hosts.forEach((h, i) => {
      const port = i % 2 ? 2200 + i : 22;
      assert.equal(kh.check(h, port, i % 3 ? keys.ed.key : keys.rsa.key).status, 'match', h);
      assert.equal(keygenFind(file, knownHostName(h, port)).length, 1, h);
    });
    const leftovers = execFileSync('ls', ['-A', join(dir, 'kh_parallel')], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(leftovers, ['known_hosts']);
  });

  it('updates the target of a symlinked known_hosts and keeps the link', async () => {
    const target = join(dir, 'kh_target');
    const link = join(dir, 'kh_link');
    writeFileSync(target, `one ${keys.ed.pubLine}\n`);
    symlinkSync(target, link);
    await appendKnownHost(link, 'two', 22, keys.ec.key);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readFileSync(target, 'utf8'), `one ${keys.ed.pubLine}\ntwo ${keys.ec.pubLine}\n`);
  });

  it('formats lines like ssh-keyscan', () => {
    assert.equal(formatKnownHostLine('H', 22, keys.ed.key), `h ${keys.ed.pubLine}`);
    assert.equal(formatKnownHostLine('::1', 2222, keys.ed.key), `[::1]:2222 ${keys.ed.pubLine}`);
    assert.equal(formatKnownHostLine('[::1]', 22, keys.ed.key), `::1 ${keys.ed.pubLine}`);
  });
});
