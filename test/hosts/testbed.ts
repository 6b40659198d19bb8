// The real-sshd test bed (see shared/design/TESTBED.md): four OpenSSH servers on this very machine, all on loopback.
//
//   direct   127.0.0.1:<free port>        sshd -D, reachable from here
//   bastion  127.0.0.1:<free port>        socat -> `ip netns exec NS sshd -i` (one sshd per connection), so it sits
//                                         inside the network namespace NS while being reachable from outside
//   web1     127.0.0.1:2201 inside NS     sshd -D; unreachable from outside NS, reachable through the bastion
//   web2     127.0.0.1:2202 inside NS     idem
//
// Everything lives in a fresh temp dir; the only machine-wide traces are the `fabtest` user, /etc/sudoers.d/fabts-test
// and /run/fabts-testbed (a registry of live test beds, so that one left behind by a killed run is reaped by the next).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { descendants, isAlive, killAll, readProc, snapshot, startTimeOf, type Victim } from './procs.ts';

export type TestbedHostName = 'direct' | 'bastion' | 'web1' | 'web2';

export interface TestbedHost {
  /** The `Host` name in the test bed's ssh_config. */
  alias: TestbedHostName;
  /** What to connect to: always '127.0.0.1' (for web1/web2: 127.0.0.1 as seen from the bastion, inside the namespace). */
  hostname: string;
  port: number;
  /** Set on hosts only the bastion can reach: the alias of the gateway to use. */
  via?: 'bastion';
  /** The host's public key, as in known_hosts: 'ssh-ed25519 AAAA...'. */
  hostKey: string;
  /** SHA256 fingerprint of the host key, as OpenSSH prints it: 'SHA256:...'. */
  hostKeyFingerprint: string;
  /** sshd's log (LogLevel VERBOSE). */
  logPath: string;
}

export interface TestbedProcess {
  /** What it is: 'direct' | 'web1' | 'web2' | 'bastion' (the socat listener). */
  name: string;
  pid: number;
  /** /proc starttime, so that a recycled pid is never mistaken for ours. */
  startTime: number;
}

export interface Testbed {
  version: 1;
  /** Path of this state as JSON (<dir>/testbed.json); FABTS_TESTBED names it. */
  statePath: string;
  /** The run's temp dir; everything below is removed by stopTestbed. */
  dir: string;
  /** Name of the network namespace holding web1, web2 and the bastion's sshd. */
  netns: string;
  /** OpenSSH client config naming direct, bastion, web1, web2 (web1/web2 with ProxyJump bastion). */
  sshConfigPath: string;
  /** known_hosts with all four host keys, as `[127.0.0.1]:port` and as `alias` / `[alias]:port`. */
  knownHostsPath: string;
  /** The test user, 'fabtest', its uid and home. */
  user: string;
  uid: number;
  home: string;
  /** fabtest's login and sudo password. */
  password: string;
  /** Unencrypted ed25519 private key authorized for fabtest (the ssh_config's IdentityFile). */
  keyPath: string;
  /** Encrypted ed25519 private key authorized for fabtest, and its passphrase. */
  encryptedKeyPath: string;
  keyPassphrase: string;
  /** An empty dir owned by fabtest (mode 0700) for tests to write in on the "remote" side; removed on stop. */
  remoteDir: string;
  hosts: Record<TestbedHostName, TestbedHost>;
  /** Pids of the daemons: the three `sshd -D` and the bastion's socat listener. */
  pids: { direct: number; web1: number; web2: number; bastion: number };
  processes: TestbedProcess[];
  /** The process that started the test bed; when it dies without stopping it, the next start reaps it. */
  owner: { pid: number; startTime: number };
  startedAt: string;
}

export interface StartOptions {
  /** Use this directory (created if missing, must be empty) instead of a fresh mkdtemp under /tmp. */
  dir?: string;
  /** How long to wait for each host to answer, in ms (default 15000). */
  readyTimeoutMs?: number;
}

const SSHD = '/usr/sbin/sshd';
const USER = 'fabtest';
const SUDOERS_FILE = '/etc/sudoers.d/fabts-test';
const RUN_DIR = '/run/fabts-testbed';
const REGISTRY_DIR = path.join(RUN_DIR, 'active');
const LOCK_DIR = path.join(RUN_DIR, 'lock');
const PASSWORD_FILE = path.join(RUN_DIR, 'password');
const MARKER = '.fabts-testbed';
const PRIVATE_PORTS = { web1: 2201, web2: 2202 } as const;
// Paths end up in sshd_config lines and in socat's EXEC address, where spaces, commas and colons would be misread.
const SAFE_PATH = /^[A-Za-z0-9_./-]+$/;

// ---------------------------------------------------------------------------------------------------------------
// Public API

/** Reads the state named by FABTS_TESTBED (set by `npm test` / test/run.ts, or printed by test/hosts/up.ts). */
export function loadTestbed(): Testbed {
  const statePath = process.env.FABTS_TESTBED;
  if (!statePath) {
    throw new Error(
      'FABTS_TESTBED is not set: this test needs the real-sshd test bed. Run it through `npm test` ' +
        '(node --import tsx test/run.ts FILE), or start the hosts by hand as root with ' +
        '`node --import tsx test/hosts/up.ts` and export the FABTS_TESTBED line it prints.',
    );
  }
  let text: string;
  try {
    text = fs.readFileSync(statePath, 'utf8');
  } catch (err) {
    throw new Error(`FABTS_TESTBED=${statePath} cannot be read (${(err as Error).message}): is the test bed still up?`);
  }
  const state = JSON.parse(text) as Testbed;
  if (state.version !== 1 || !state.hosts?.web1) throw new Error(`FABTS_TESTBED=${statePath} is not a test bed state file`);
  return state;
}

/** True when FABTS_TESTBED names a readable state file. */
export function hasTestbed(): boolean {
  const statePath = process.env.FABTS_TESTBED;
  return !!statePath && fs.existsSync(statePath);
}

/**
 * How many connections the bastion holds right now: the live `sshd -i` processes below its socat listener
 * (one per TCP connection; their privilege-separated children are not counted).
 */
export function countBastionConnections(tb: Testbed): number {
  const listener = tb.processes.find((p) => p.name === 'bastion');
  if (!listener || !isAlive(listener.pid, listener.startTime)) return 0;
  const procs = snapshot();
  return descendants(listener.pid, procs).filter((p) => p.comm === 'sshd' && procs.get(p.ppid)?.comm !== 'sshd').length;
}

export async function startTestbed(options: StartOptions = {}): Promise<Testbed> {
  assertRoot();
  assertTools();
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation chroot

  const dir = makeDir(options.dir);
  const netns = `fabts-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  // Filled in as things come up, so that a failure (or a kill) half-way still tears down what exists.
  const tb = { version: 1, dir, netns, statePath: path.join(dir, 'testbed.json'), processes: [] as TestbedProcess[] } as Testbed;
  tb.owner = { pid: process.pid, startTime: startTimeOf(process.pid) };
  tb.startedAt = new Date().toISOString();
  // Should this process die of an uncaught error while starting, the half-built test bed goes with it.
  const onExit = () => stopTestbedSync(tb);
  process.on('exit', onExit);
  try {
    await withLock(() => {
      reapStale();
      Object.assign(tb, ensureUser());
      tb.password = sharedPassword();
      writeSudoers();
      register(tb);
    });
    await layout(tb);
    run('ip', ['netns', 'add', netns]);
    run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);

    const readyTimeoutMs = options.readyTimeoutMs ?? 15000;
    await Promise.all([
      startListening(tb, 'direct', readyTimeoutMs),
      startListening(tb, 'bastion', readyTimeoutMs),
      startPrivate(tb, 'web1', readyTimeoutMs),
      startPrivate(tb, 'web2', readyTimeoutMs),
    ]);
    tb.pids = {
      direct: pidOf(tb, 'direct'),
      web1: pidOf(tb, 'web1'),
      web2: pidOf(tb, 'web2'),
      bastion: pidOf(tb, 'bastion'),
    };
    writeState(tb);
    register(tb);
    return tb;
  } catch (err) {
    stopTestbedSync(tb);
    throw err;
  } finally {
    process.off('exit', onExit);
  }
}

/** Stops everything the test bed started (by pid), deletes its namespace and temp dir. Idempotent. */
export async function stopTestbed(state: Testbed): Promise<void> {
  stopTestbedSync(state);
}

/** Synchronous stopTestbed, usable from a process 'exit' handler. */
export function stopTestbedSync(state: Testbed): void {
  const victims: Victim[] = [];
  const procs = snapshot();
  for (const p of state.processes ?? []) {
    if (!isAlive(p.pid, p.startTime)) continue;
    victims.push({ pid: p.pid, startTime: p.startTime, group: true });
    // sshd puts each connection in its own session: the group kill misses them, the tree walk does not.
    for (const d of descendants(p.pid, procs)) victims.push({ pid: d.pid, startTime: d.startTime });
  }
  const nsExists = state.netns ? listNetns().includes(state.netns) : false;
  if (nsExists) {
    // Anything still inside the namespace (a bastion sshd whose socat died, a daemonized test command ...).
    const out = spawnSync('ip', ['netns', 'pids', state.netns], { encoding: 'utf8' });
    for (const line of (out.stdout ?? '').split('\n')) {
      const pid = Number(line.trim());
      const info = line.trim() && readProc(pid);
      if (info) victims.push({ pid, startTime: info.startTime });
    }
  }
  const stubborn = killAll(victims);
  if (stubborn.length > 0) process.stderr.write(`fabts testbed: could not kill pids ${stubborn.join(' ')}\n`);
  if (nsExists) {
    const del = spawnSync('ip', ['netns', 'delete', state.netns], { encoding: 'utf8' });
    if (del.status !== 0 && listNetns().includes(state.netns)) {
      process.stderr.write(`fabts testbed: ip netns delete ${state.netns} failed: ${del.stderr}\n`);
    }
  }
  if (state.dir && isOurDir(state.dir)) fs.rmSync(state.dir, { recursive: true, force: true });
  if (state.netns) fs.rmSync(path.join(REGISTRY_DIR, `${state.netns}.json`), { force: true });
}

// ---------------------------------------------------------------------------------------------------------------
// Preconditions

function assertRoot(): void {
  if (process.getuid?.() === 0) return;
  throw new Error(
    'The fabts test bed needs root: it creates a network namespace (ip netns) for the private hosts, runs sshd ' +
      '(which must be root to switch to the test user), and creates the `fabtest` user, its password and a sudoers ' +
      'entry. Run the integration and e2e tests as root (CI and the project machines do), e.g. `sudo npm test`; ' +
      '`node --import tsx test/run.ts --unit` runs the unit tests without it.',
  );
}

function assertTools(): void {
  const tools: [string, string][] = [
    [SSHD, 'openssh-server'],
    ['/usr/bin/ssh-keygen', 'openssh-client'],
    ['/usr/bin/socat', 'socat'],
    ['/usr/bin/sudo', 'sudo'],
    ['/usr/sbin/visudo', 'sudo'],
  ];
  const missing = tools.filter(([file]) => !fs.existsSync(file));
  if (!findInPath('ip')) missing.push(['ip', 'iproute2']);
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
    throw new Error(`The test bed needs ${missing.map(([f]) => f).join(', ')}: apt-get install -y ${pkgs}`);
  }
}

function findInPath(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(d, cmd);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

function makeDir(wanted?: string): string {
  let dir: string;
  if (wanted) {
    dir = path.resolve(wanted);
    fs.mkdirSync(dir, { recursive: true });
    if (fs.readdirSync(dir).length > 0) throw new Error(`test bed dir ${dir} is not empty`);
  } else {
    dir = fs.mkdtempSync('/tmp/fabts-tb-');
  }
  fs.writeFileSync(path.join(dir, MARKER), ''); // marks it ours: stop removes only such a dir
  if (!SAFE_PATH.test(dir)) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`test bed dir ${dir} must match ${SAFE_PATH} (it goes into sshd and socat arguments)`);
  }
  // fabtest must be able to traverse to its authorized_keys file (sshd reads it as the user) and to remoteDir.
  fs.chmodSync(dir, 0o711);
  return dir;
}

/** Never remove a directory that a test bed did not create. */
function isOurDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, MARKER));
}

// ---------------------------------------------------------------------------------------------------------------
// Machine-wide state: user, password, sudoers, registry (under a lock, as two runs may start at once)

async function withLock<T>(fn: () => T): Promise<T> {
  fs.mkdirSync(RUN_DIR, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      fs.writeFileSync(path.join(LOCK_DIR, 'owner'), `${process.pid} ${startTimeOf(process.pid)}`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = '';
      try {
        owner = fs.readFileSync(path.join(LOCK_DIR, 'owner'), 'utf8');
      } catch {
        // being created or removed right now
      }
      const [pid, start] = owner.split(' ').map(Number);
      const stat = fs.statSync(LOCK_DIR, { throwIfNoEntry: false });
      const abandoned = owner ? !isAlive(pid!, start) : !!stat && Date.now() - stat.mtimeMs > 5000;
      if (abandoned) fs.rmSync(LOCK_DIR, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`test bed lock ${LOCK_DIR} held by ${owner || '?'} for 30s`);
      else await sleep(50);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

function register(tb: Testbed): void {
  fs.mkdirSync(REGISTRY_DIR, { recursive: true, mode: 0o700 });
  const file = path.join(REGISTRY_DIR, `${tb.netns}.json`);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(tb, null, 2), { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

function activeEntries(): Testbed[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(REGISTRY_DIR).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: Testbed[] = [];
  for (const name of names) {
    try {
      out.push(JSON.parse(fs.readFileSync(path.join(REGISTRY_DIR, name), 'utf8')) as Testbed);
    } catch {
      fs.rmSync(path.join(REGISTRY_DIR, name), { force: true });
    }
  }
  return out;
}

/** Tears down test beds whose owner died without stopping them (a SIGKILLed test run). */
function reapStale(): void {
  for (const entry of activeEntries()) {
    if (entry.owner && isAlive(entry.owner.pid, entry.owner.startTime)) continue;
    process.stderr.write(`fabts testbed: reaping ${entry.netns}, left behind by dead process ${entry.owner?.pid}\n`);
    stopTestbedSync(entry);
  }
}

function ensureUser(): Pick<Testbed, 'user' | 'uid' | 'home'> {
  let entry = getent(USER);
  if (!entry) {
    const made = spawnSync('useradd', ['-m', '-s', '/bin/bash', '-c', 'fabts test user', USER], { encoding: 'utf8' });
    entry = getent(USER);
    if (!entry) throw new Error(`useradd ${USER} failed: ${made.stderr}`);
  }
  return { user: USER, uid: entry.uid, home: entry.home };
}

function getent(user: string): { uid: number; home: string } | undefined {
  const out = spawnSync('getent', ['passwd', user], { encoding: 'utf8' });
  if (out.status !== 0) return undefined;
  const fields = out.stdout.trim().split(':');
  return { uid: Number(fields[2]), home: fields[5] ?? `/home/${user}` };
}

/**
 * fabtest's password is new for each run, unless another test bed is live right now: that one's tests must keep
 * working, so the two share it. It is set with chpasswd on stdin, never in argv.
 */
function sharedPassword(): string {
  if (activeEntries().length > 0 && fs.existsSync(PASSWORD_FILE)) {
    return fs.readFileSync(PASSWORD_FILE, 'utf8').trim();
  }
  const password = `Fab-${crypto.randomBytes(15).toString('base64url')}`;
  const out = spawnSync('chpasswd', [], { input: `${USER}:${password}\n`, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`chpasswd failed: ${out.stderr}`);
  fs.writeFileSync(PASSWORD_FILE, `${password}\n`, { mode: 0o600 });
  return password;
}

/** fabtest may run anything through sudo, always with its password (no cached timestamp), one try only. */
function writeSudoers(): void {
  const text = [
    '# fabts test bed (test/hosts/testbed.ts): the test user runs anything via sudo, always asked for its password.',
    `Defaults:${USER} !lecture, passwd_tries=1, timestamp_timeout=0`,
    `${USER} ALL=(ALL:ALL) ALL`,
    '',
  ].join('\n');
  if (fs.existsSync(SUDOERS_FILE) && fs.readFileSync(SUDOERS_FILE, 'utf8') === text) return;
  const tmp = `${SUDOERS_FILE}.tmp`; // sudo ignores files in sudoers.d whose name has a dot
  fs.writeFileSync(tmp, text, { mode: 0o440 });
  fs.chmodSync(tmp, 0o440);
  const check = spawnSync('visudo', ['-cf', tmp], { encoding: 'utf8' });
  if (check.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`visudo -cf rejected the test sudoers file: ${check.stdout}${check.stderr}`);
  }
  fs.renameSync(tmp, SUDOERS_FILE);
}

// ---------------------------------------------------------------------------------------------------------------
// Files: keys, configs

async function layout(tb: Testbed): Promise<void> {
  const { dir } = tb;
  for (const sub of ['keys', 'hosts', 'logs']) fs.mkdirSync(path.join(dir, sub), { mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'authorized_keys'), { mode: 0o755 });
  tb.remoteDir = path.join(dir, 'remote');
  fs.mkdirSync(tb.remoteDir, { mode: 0o700 });
  fs.chownSync(tb.remoteDir, tb.uid, tb.uid);

  tb.keyPath = path.join(dir, 'keys', 'id_ed25519');
  tb.encryptedKeyPath = path.join(dir, 'keys', 'id_ed25519_encrypted');
  tb.keyPassphrase = crypto.randomBytes(12).toString('base64url');
  const names: TestbedHostName[] = ['direct', 'bastion', 'web1', 'web2'];
  for (const name of names) fs.mkdirSync(path.join(dir, 'hosts', name), { mode: 0o700 });
  await Promise.all([
    keygen(tb.keyPath, '', 'fabts-test-key'),
    keygen(tb.encryptedKeyPath, tb.keyPassphrase, 'fabts-test-key-encrypted'),
    ...names.map((name) => keygen(hostKeyPath(tb, name), '', `fabts-${name}-host-key`)),
  ]);

  const authorized = [tb.keyPath, tb.encryptedKeyPath].map((k) => fs.readFileSync(`${k}.pub`, 'utf8').trim());
  fs.writeFileSync(path.join(dir, 'authorized_keys', USER), `${authorized.join('\n')}\n`, { mode: 0o644 });

  const port = async () => freePort();
  const ports: Record<TestbedHostName, number> = {
    direct: await port(),
    bastion: await port(),
    web1: PRIVATE_PORTS.web1,
    web2: PRIVATE_PORTS.web2,
  };
  tb.hosts = {} as Testbed['hosts'];
  for (const name of names) setHost(tb, name, ports[name]);
  for (const name of names) writeSshdConfig(tb, name);
  writeClientFiles(tb);
}

function setHost(tb: Testbed, name: TestbedHostName, port: number): void {
  const hostKey = fs.readFileSync(`${hostKeyPath(tb, name)}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const blob = Buffer.from(hostKey.split(' ')[1]!, 'base64');
  tb.hosts[name] = {
    alias: name,
    hostname: '127.0.0.1',
    port,
    ...(name === 'web1' || name === 'web2' ? { via: 'bastion' as const } : {}),
    hostKey,
    hostKeyFingerprint: `SHA256:${crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
    logPath: path.join(tb.dir, 'logs', `${name}.log`),
  };
}

function hostKeyPath(tb: Testbed, name: TestbedHostName): string {
  return path.join(tb.dir, 'hosts', name, 'ssh_host_ed25519_key');
}

/** ssh-keygen; a passphrase goes in on stdin (ssh-keygen reads it there when it has no terminal), not in argv. */
async function keygen(file: string, passphrase: string, comment: string): Promise<void> {
  const args = ['-q', '-t', 'ed25519', '-C', comment, '-f', file];
  if (!passphrase) args.push('-N', '');
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.SSH_ASKPASS;
  delete env.SSH_ASKPASS_REQUIRE;
  // detached = setsid: no controlling terminal, so the passphrase prompts read stdin.
  const child = spawn('ssh-keygen', args, { stdio: [passphrase ? 'pipe' : 'ignore', 'ignore', 'pipe'], detached: true, env });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (passphrase) {
    child.stdin!.on('error', () => {}); // EPIPE if it fails early: its exit status tells
    child.stdin!.end(`${passphrase}\n${passphrase}\n`);
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0 || !fs.existsSync(file)) throw new Error(`ssh-keygen for ${file} failed (${code}): ${stderr}`);
}

function writeSshdConfig(tb: Testbed, name: TestbedHostName): void {
  const lines = [
    `# fabts test bed: ${name}`,
    `HostKey ${hostKeyPath(tb, name)}`,
    `AuthorizedKeysFile ${path.join(tb.dir, 'authorized_keys')}/%u`,
    'PidFile none',
    'StrictModes no',
    'Subsystem sftp internal-sftp',
    'MaxStartups 1000:30:1000',
    'MaxSessions 50',
    'MaxAuthTries 20',
    'LoginGraceTime 60',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication yes',
    'PubkeyAuthentication yes',
    'UsePAM yes',
    'PermitRootLogin no',
    // This sshd accepts passwords: let only the test user in, whatever other accounts the machine has.
    `AllowUsers ${USER}`,
    'AllowTcpForwarding yes',
    'AllowStreamLocalForwarding yes',
    'AllowAgentForwarding yes',
    'X11Forwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'LogLevel VERBOSE',
  ];
  fs.writeFileSync(path.join(tb.dir, 'hosts', name, 'sshd_config'), `${lines.join('\n')}\n`, { mode: 0o600 });
}

function writeClientFiles(tb: Testbed): void {
  const known: string[] = [];
  const config: string[] = ['# fabts test bed: OpenSSH client config (ssh -F this)', ''];
  for (const h of Object.values(tb.hosts)) {
    known.push(`[${h.hostname}]:${h.port},${h.alias},[${h.alias}]:${h.port} ${h.hostKey}`);
    config.push(`Host ${h.alias}`, `  HostName ${h.hostname}`, `  Port ${h.port}`);
    if (h.via) config.push(`  ProxyJump ${h.via}`);
    config.push('');
  }
  config.push(
    'Host direct bastion web1 web2',
    `  User ${USER}`,
    `  IdentityFile ${tb.keyPath}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${path.join(tb.dir, 'known_hosts')}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  UpdateHostKeys no',
    '  ControlMaster no',
    '  ControlPath none',
    '  ConnectTimeout 15',
    '  LogLevel ERROR',
    '',
  );
  tb.knownHostsPath = path.join(tb.dir, 'known_hosts');
  tb.sshConfigPath = path.join(tb.dir, 'ssh_config');
  fs.writeFileSync(tb.knownHostsPath, `${known.join('\n')}\n`, { mode: 0o644 });
  fs.writeFileSync(tb.sshConfigPath, config.join('\n'), { mode: 0o644 });
}

function writeState(tb: Testbed): void {
  fs.writeFileSync(`${tb.statePath}.tmp`, `${JSON.stringify(tb, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(`${tb.statePath}.tmp`, tb.statePath);
}

// ---------------------------------------------------------------------------------------------------------------
// Daemons

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Daemon {
  child: ChildProcess;
  exited: Promise<string>;
}

function launch(tb: Testbed, name: TestbedHostName, cmd: string, args: string[]): Daemon {
  const log = fs.openSync(tb.hosts[name].logPath, 'a', 0o600);
  let child: ChildProcess;
  try {
    // detached: own session and process group, so that stop can signal the whole group; no terminal signals.
    child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log] });
  } finally {
    fs.closeSync(log);
  }
  const exited = new Promise<string>((resolve) => {
    child.on('error', (err) => resolve(`could not start: ${err.message}`));
    child.on('exit', (code, sig) => resolve(`exited with ${sig ?? code}`));
  });
  if (child.pid) {
    let startTime = 0;
    try {
      startTime = startTimeOf(child.pid);
    } catch {
      // already gone: the exit is reported below
    }
    tb.processes.push({ name, pid: child.pid, startTime });
    register(tb); // a run killed half-way through starting is still reaped completely
  }
  child.unref();
  return { child, exited };
}

function sshdArgs(tb: Testbed, name: TestbedHostName): string[] {
  return ['-f', path.join(tb.dir, 'hosts', name, 'sshd_config'), '-E', tb.hosts[name].logPath];
}

/** direct and bastion listen on the machine's loopback, on a port found free a moment ago: retry if it got taken. */
async function startListening(tb: Testbed, name: 'direct' | 'bastion', timeoutMs: number) {
  for (let attempt = 1; ; attempt++) {
    const { port } = tb.hosts[name];
    const daemon =
      name === 'direct'
        ? launch(tb, name, SSHD, ['-D', ...sshdArgs(tb, name), '-p', String(port), '-o', 'ListenAddress=127.0.0.1'])
        : launch(tb, name, 'socat', [
            `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,nodelay`,
            `EXEC:ip netns exec ${tb.netns} ${SSHD} -i ${sshdArgs(tb, name).join(' ')}`,
          ]);
    try {
      await waitForBanner(tb, name, daemon, () => probeBanner(port), timeoutMs);
      return;
    } catch (err) {
      const inUse = /Address already in use/i.test(tail(tb.hosts[name].logPath));
      if (!inUse || attempt >= 3) throw err;
      forget(tb, daemon.child.pid);
      setHost(tb, name, await freePort());
      writeClientFiles(tb);
    }
  }
}

/** web1/web2 listen inside the namespace; the readiness probe must run there too. */
async function startPrivate(tb: Testbed, name: 'web1' | 'web2', timeoutMs: number) {
  const { port } = tb.hosts[name];
  const daemon = launch(tb, name, 'ip', [
    'netns', 'exec', tb.netns, SSHD, '-D', ...sshdArgs(tb, name), '-p', String(port), '-o', 'ListenAddress=127.0.0.1',
  ]);
  await waitForBanner(tb, name, daemon, () => probeBannerInNetns(tb.netns, port), timeoutMs);
}

function forget(tb: Testbed, pid: number | undefined): void {
  const p = tb.processes.find((x) => x.pid === pid);
  if (p) killAll([{ pid: p.pid, startTime: p.startTime, group: true }], 500);
  tb.processes = tb.processes.filter((x) => x.pid !== pid);
}

async function waitForBanner(
  tb: Testbed,
  name: TestbedHostName,
  daemon: Daemon,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  let exit: string | undefined;
  void daemon.exited.then((why) => (exit = why));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exit) break;
    if (await probe()) return;
    if (exit || Date.now() > deadline) break;
    await sleep(50);
  }
  const { port, logPath } = tb.hosts[name];
  throw new Error(
    `test bed host ${name} (port ${port}) did not answer with an SSH banner ` +
      `${exit ? `: its process ${exit}` : `within ${timeoutMs} ms`}. Tail of ${logPath}:\n${tail(logPath) || '(empty)'}`,
  );
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Connects, waits for 'SSH-2.0-'. */
function probeBanner(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    let got = '';
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('SSH-2.0-')) {
        sock.write('SSH-2.0-fabts-testbed-probe\r\n');
        done(true);
      }
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(got.includes('SSH-2.0-')));
  });
}

const NETNS_PROBE = `
const net = require('node:net');
const port = Number(process.argv[1]);
const s = net.connect({ host: '127.0.0.1', port });
let got = '';
const t = setTimeout(() => process.exit(1), 2000);
s.on('data', (d) => { got += d; if (got.includes('SSH-2.0-')) { clearTimeout(t); s.destroy(); process.exit(0); } });
s.on('error', () => process.exit(1));
s.on('close', () => process.exit(got.includes('SSH-2.0-') ? 0 : 1));
`;

function probeBannerInNetns(netns: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const env = { ...process.env, NODE_OPTIONS: '' };
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', NETNS_PROBE, String(port)], {
      stdio: 'ignore',
      env,
    });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

function pidOf(tb: Testbed, name: string): number {
  const p = tb.processes.find((x) => x.name === name);
  if (!p) throw new Error(`test bed: no process recorded for ${name}`);
  return p.pid;
}

function listNetns(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (out.stdout ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

function run(cmd: string, args: string[]): void {
  const out = spawnSync(cmd, args, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${out.status ?? out.signal}): ${out.stderr}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
