import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import {
  DEFAULTS,
  KNOWN_KEYS,
  PATH_KEYS,
  coerceValue,
  defaultSettings,
  isKnownKey,
  normalizeKey,
  parseSetOption,
  validateSettings,
} from '../../../src/config/schema.ts';

/** Asserts that `fn` throws a one-line BAD_CONFIG UsageError whose message contains every fragment. */
function assertBadConfig(fn: () => unknown, ...fragments: string[]): UsageError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof UsageError, `expected a UsageError, got ${String(caught)}`);
  assert.equal(caught.code, 'BAD_CONFIG');
  assert.equal(caught.exitCode, 2);
  assert.ok(!caught.message.includes('\n'), `one line: ${caught.message}`);
  for (const fragment of fragments) assert.ok(caught.message.includes(fragment), `"${caught.message}" mentions "${fragment}"`);
  return caught;
}

describe('normalizeKey', () => {
  it('keeps camelCase keys as they are', () => {
    assert.equal(normalizeKey('skipBadHosts'), 'skipBadHosts');
    assert.equal(normalizeKey('hosts'), 'hosts');
  });

  it('turns snake_case, kebab-case and SCREAMING_CASE into camelCase', () => {
    assert.equal(normalizeKey('skip_bad_hosts'), 'skipBadHosts');
    assert.equal(normalizeKey('skip-bad-hosts'), 'skipBadHosts');
    assert.equal(normalizeKey('SKIP_BAD_HOSTS'), 'skipBadHosts');
    assert.equal(normalizeKey('key_filename'), 'keyFilename');
    assert.equal(normalizeKey('use-ssh-config'), 'useSshConfig');
  });

  it('normalizes unknown user keys the same way', () => {
    assert.equal(normalizeKey('branch'), 'branch');
    assert.equal(normalizeKey('release_tag'), 'releaseTag');
    assert.equal(normalizeKey('release-tag'), 'releaseTag');
  });

  it('keeps leading and trailing separators', () => {
    assert.equal(normalizeKey('_private_thing'), '_privateThing');
    assert.equal(normalizeKey('__proto__'), '__proto__');
  });

  it('maps the Fabric 1 names that are plain renames', () => {
    assert.equal(normalizeKey('ok_ret_codes'), 'okReturnCodes');
    assert.equal(normalizeKey('always_use_pty'), 'pty');
  });
});

describe('DEFAULTS', () => {
  it('holds the documented defaults', () => {
    assert.equal(DEFAULTS.useSshConfig, true);
    assert.equal(DEFAULTS.hostKeyPolicy, 'accept-new');
    assert.equal(DEFAULTS.connectionAttempts, 1);
    assert.equal(DEFAULTS.timeout, 10);
    assert.equal(DEFAULTS.keepalive, 0);
    assert.equal(DEFAULTS.shell, '/bin/sh -c');
    assert.equal(DEFAULTS.maxStartups, 8);
    assert.equal(DEFAULTS.maxCapture, 32 * 1024 * 1024);
    assert.deepEqual(DEFAULTS.okReturnCodes, [0]);
    assert.equal(DEFAULTS.sudoPrompt, 'sudo password:');
    assert.equal('poolSize' in DEFAULTS, false);
  });

  it('is frozen, and defaultSettings() gives a copy that can change', () => {
    assert.ok(Object.isFrozen(DEFAULTS));
    assert.ok(Object.isFrozen(DEFAULTS.hosts));
    const copy = defaultSettings();
    copy.hosts.push('web1');
    copy.timeout = 3;
    assert.deepEqual(DEFAULTS.hosts, []);
    assert.equal(DEFAULTS.timeout, 10);
  });

  it('only has known keys, each of which passes validation', () => {
    for (const key of Object.keys(DEFAULTS)) assert.ok(isKnownKey(key), key);
    assert.deepEqual(validateSettings(defaultSettings(), 'defaults'), defaultSettings());
  });

  it('knows every key of API.md plus maxStartups, maxSessions, maxCapture, maxListing, sftpTimeout, keyPassphrase and sudoPasswordPerHost', () => {
    const documented =
      'hosts roles roledefs excludeHosts user port password passwords keyFilename noAgent noKeys forwardAgent gateway useSshConfig ' +
      'sshConfigPath timeout connectionAttempts keepalive hostKeyPolicy knownHostsFile parallel poolSize warnOnly okReturnCodes shell ' +
      'pty commandTimeout sudoUser sudoPassword sudoPrompt skipBadHosts abortOnPrompts dryRun logDir maxStartups maxSessions maxCapture maxListing sftpTimeout keyPassphrase sudoPasswordPerHost';
    assert.deepEqual([...KNOWN_KEYS].sort(), documented.split(' ').sort());
    assert.deepEqual([...PATH_KEYS].sort(), ['keyFilename', 'knownHostsFile', 'logDir', 'sshConfigPath']);
  });
});

describe('validateSettings', () => {
  it('normalizes keys and keeps unknown keys with their values untouched', () => {
    const nested = { a: [1, 2] };
    const out = validateSettings({ skip_bad_hosts: true, 'warn-only': false, deploy_target: nested }, 'f');
    assert.deepEqual(out, { skipBadHosts: true, warnOnly: false, deployTarget: nested });
    assert.equal(out.deployTarget, nested);
  });

  it('accepts hosts, roles and excludeHosts as comma (or semicolon) separated strings', () => {
    assert.deepEqual(validateSettings({ hosts: 'web1, web2;db1', roles: 'web', excludeHosts: '' }, 'f'), {
      hosts: ['web1', 'web2', 'db1'],
      roles: ['web'],
      excludeHosts: [],
    });
  });

  it('takes a single keyFilename string as one path, without splitting it', () => {
    assert.deepEqual(validateSettings({ key_filename: '~/.ssh/a,b' }, 'f'), { keyFilename: ['~/.ssh/a,b'] });
  });

  it('coerces numeric strings and yes/no words', () => {
    assert.deepEqual(validateSettings({ port: '2222', parallel: 'yes', pty: 'off', warnOnly: 1, timeout: '2.5' }, 'f'), {
      port: 2222,
      parallel: true,
      pty: false,
      warnOnly: true,
      timeout: 2.5,
    });
  });

  it('checks the ranges of numbers', () => {
    assertBadConfig(() => validateSettings({ port: 0 }, '/p/.fabrc'), '/p/.fabrc', 'port', 'from 1 to 65535', 'found 0');
    assertBadConfig(() => validateSettings({ port: 70000 }, 'f'), 'port');
    assertBadConfig(() => validateSettings({ port: 22.5 }, 'f'), 'port');
    assertBadConfig(() => validateSettings({ timeout: 0 }, 'f'), 'timeout', 'greater than 0');
    assertBadConfig(() => validateSettings({ connectionAttempts: 0 }, 'f'), 'connectionAttempts');
    assertBadConfig(() => validateSettings({ pool_size: 1.5 }, 'f'), 'pool_size', 'whole number');
    assertBadConfig(() => validateSettings({ maxStartups: 0 }, 'f'), 'maxStartups');
    assertBadConfig(() => validateSettings({ keepalive: -1 }, 'f'), 'keepalive');
    assertBadConfig(() => validateSettings({ maxCapture: -1 }, 'f'), 'maxCapture', 'whole number of characters');
    assert.deepEqual(validateSettings({ max_capture: '1048576' }, 'f'), { maxCapture: 1048576 });
    assert.deepEqual(validateSettings({ keepalive: 0, commandTimeout: 0 }, 'f'), { keepalive: 0, commandTimeout: 0 });
  });

  it('names the source, the key as written, what was found and what is expected, in one line', () => {
    assertBadConfig(
      () => validateSettings({ use_ssh_config: 'maybe' }, '/home/me/.fabrc.yaml'),
      '/home/me/.fabrc.yaml: use_ssh_config must be true or false, found "maybe"',
    );
    assertBadConfig(
      () => validateSettings({ hostKeyPolicy: 'ask' }, 'f'),
      'hostKeyPolicy must be one of "accept-new", "strict", "off", found "ask"',
    );
    assertBadConfig(() => validateSettings({ hosts: [{}] }, 'f'), 'hosts[0] must be a non-empty string, found an object');
    assertBadConfig(() => validateSettings({ user: '' }, 'f'), 'user must be a non-empty string, found an empty string');
  });

  it('never echoes a password in an error', () => {
    const error = assertBadConfig(() => validateSettings({ password: 12345678 }, 'f'), 'password', 'found a number');
    assert.ok(!error.message.includes('12345678'));
    const perHost = assertBadConfig(() => validateSettings({ passwords: { 'me@web1': 98765 } }, 'f'), 'passwords["me@web1"]');
    assert.ok(!perHost.message.includes('98765'));
    const sudo = assertBadConfig(() => validateSettings({ sudo_password: ['hunter2'] }, 'f'), 'sudo_password');
    assert.ok(!sudo.message.includes('hunter2'));
  });

  it('accepts roledefs as lists, comma strings or { hosts } objects, keeping extra keys', () => {
    const out = validateSettings(
      { roledefs: { web: ['web1', 'web2'], db: 'db1,db2', cache: { hosts: ['c1'], port: 6379 } } },
      'f',
    );
    assert.deepEqual(out.roledefs, { web: ['web1', 'web2'], db: ['db1', 'db2'], cache: { hosts: ['c1'], port: 6379 } });
    assertBadConfig(() => validateSettings({ roledefs: { web: { hosts: [1] } } }, 'f'), 'roledefs.web.hosts[0]');
    assertBadConfig(() => validateSettings({ roledefs: { web: { port: 1 } } }, 'f'), 'roledefs.web must be');
    assertBadConfig(() => validateSettings({ roledefs: ['web'] }, 'f'), 'roledefs must be an object');
  });

  it('accepts okReturnCodes as a list, a number or a comma string', () => {
    assert.deepEqual(validateSettings({ okReturnCodes: [0, 1] }, 'f'), { okReturnCodes: [0, 1] });
    assert.deepEqual(validateSettings({ ok_ret_codes: 2 }, 'f'), { okReturnCodes: [2] });
    assert.deepEqual(validateSettings({ okReturnCodes: '0,3' }, 'f'), { okReturnCodes: [0, 3] });
    assertBadConfig(() => validateSettings({ okReturnCodes: [0, 'x'] }, 'f'), 'okReturnCodes[1]');
  });

  it('refuses two spellings of the same key', () => {
    assertBadConfig(() => validateSettings({ skip_bad_hosts: true, skipBadHosts: false }, 'f'), 'skip_bad_hosts and skipBadHosts');
  });

  it('treats an undefined value as not set', () => {
    assert.deepEqual(validateSettings({ port: undefined, branch: undefined, user: 'deploy' }, 'f'), { user: 'deploy' });
  });

  it('refuses something that is not an object of settings', () => {
    assertBadConfig(() => validateSettings(['a'] as unknown as Record<string, unknown>, '/x/.fabrc'), '/x/.fabrc', 'found a list');
    assertBadConfig(() => validateSettings('hosts' as unknown as Record<string, unknown>, 'f'), 'expected an object');
  });

  it('keeps a __proto__ key as data, never as the prototype', () => {
    const out = validateSettings(JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>, 'f');
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal((out as { polluted?: unknown }).polluted, undefined);
    assert.deepEqual(Object.keys(out), ['__proto__']);
  });
});

describe('coerceValue', () => {
  it('reads booleans from true/false/yes/no/1/0', () => {
    for (const word of ['true', 'yes', '1', 'on', 'YES']) assert.equal(coerceValue('parallel', word), true, word);
    for (const word of ['false', 'no', '0', 'off']) assert.equal(coerceValue('warn_only', word), false, word);
    assertBadConfig(() => coerceValue('parallel', 'sometimes'), '--set', 'parallel must be true or false');
  });

  it('reads numbers and checks them', () => {
    assert.equal(coerceValue('port', '2222'), 2222);
    assert.equal(coerceValue('timeout', '0.5'), 0.5);
    assertBadConfig(() => coerceValue('port', '22abc'), '--set: port must be', 'found "22abc"');
    assertBadConfig(() => coerceValue('port', ''), 'port');
  });

  it('splits lists on commas and semicolons', () => {
    assert.deepEqual(coerceValue('hosts', 'web1;web2,web3'), ['web1', 'web2', 'web3']);
    assert.deepEqual(coerceValue('key-filename', '~/.ssh/a;~/.ssh/b'), ['~/.ssh/a', '~/.ssh/b']);
    assert.deepEqual(coerceValue('okReturnCodes', '0;1'), [0, 1]);
    assert.deepEqual(coerceValue('hosts', ''), []);
  });

  it('leaves unknown keys and plain strings as strings', () => {
    assert.equal(coerceValue('branch', 'true'), 'true');
    assert.equal(coerceValue('build_number', '42'), '42');
    assert.equal(coerceValue('user', 'deploy'), 'deploy');
    assert.equal(coerceValue('hostKeyPolicy', 'strict'), 'strict');
    assertBadConfig(() => coerceValue('hostKeyPolicy', 'never'), 'hostKeyPolicy');
  });

  it('reads roledefs and passwords from JSON', () => {
    assert.deepEqual(coerceValue('roledefs', '{"web": ["a", "b"]}'), { web: ['a', 'b'] });
    assert.deepEqual(coerceValue('passwords', '{"me@a": "pw"}'), { 'me@a': 'pw' });
    assertBadConfig(() => coerceValue('roledefs', 'web'), 'roledefs', '(as JSON)');
    assertBadConfig(() => coerceValue('roledefs', '{web}'), 'roledefs is not valid JSON');
  });
});

describe('parseSetOption', () => {
  it('parses comma separated key=value pairs with typed known keys', () => {
    assert.deepEqual(parseSetOption('port=2222,user=deploy,branch=main'), { port: 2222, user: 'deploy', branch: 'main' });
  });

  it('treats a bare key as true', () => {
    assert.deepEqual(parseSetOption('dry_run,verbose'), { dryRun: true, verbose: true });
  });

  it('honours the \\, and \\= escapes', () => {
    assert.deepEqual(parseSetOption('message=a\\,b,expr=x\\=1'), { message: 'a,b', expr: 'x=1' });
    assert.deepEqual(parseSetOption('hosts=web1\\,web2'), { hosts: ['web1', 'web2'] });
    assert.deepEqual(parseSetOption('path=C:\\\\dir,re=a\\d'), { path: 'C:\\dir', re: 'a\\d' });
  });

  it('splits key from value on the first = only', () => {
    assert.deepEqual(parseSetOption('query=a=b'), { query: 'a=b' });
    assert.deepEqual(parseSetOption('empty='), { empty: '' });
  });

  it('takes semicolon lists for hosts', () => {
    assert.deepEqual(parseSetOption('hosts=a;b,roles=web'), { hosts: ['a', 'b'], roles: ['web'] });
  });

  it('normalizes keys; the last of a repeated key wins', () => {
    assert.deepEqual(parseSetOption('skip-bad-hosts=no,skip_bad_hosts=yes'), { skipBadHosts: true });
  });

  it('refuses an empty key', () => {
    assertBadConfig(() => parseSetOption('=value'), 'empty setting name');
    assertBadConfig(() => parseSetOption('a=1,,b=2'), 'empty setting name');
    assertBadConfig(() => parseSetOption(''), 'empty setting name');
  });

  it('refuses a bare key that needs a value, and bad values', () => {
    assertBadConfig(() => parseSetOption('port'), 'port needs a value');
    assertBadConfig(() => parseSetOption('timeout=soon'), '--set', 'timeout', '"soon"');
  });
});
