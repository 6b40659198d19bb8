// How the bench runs each anchor, tuned as its own users tune it:
// - Ansible ad hoc with pipelining and ControlPersist (its performance guides' first two settings), the Python
//   interpreter named (no discovery round trip per host), forks = the host count;
// - parallel-ssh with -p = the host count and no time-out (-t 0: its default 60 s would cut a 1,000-host run);
// - pyinfra `exec` with --parallel = the host count.
// Every run is measured through bench/python/rusage.py (Ansible's ssh masters outlive it and are counted there), and
// stopped after capMs (its figures then lower bounds).
import fs from 'node:fs';
import path from 'node:path';
import type { Anchors } from './anchors.ts';
import type { Fixtures } from './fixtures.ts';
import { measure, type Sample } from './harness.ts';

export interface Target {
  /** ssh_config naming the hosts. */
  config: string;
  hosts: string[];
  /** The sshd's port and host key (pyinfra does not read ssh_config). */
  port: number;
}

let serial = 0;
const fresh = (fx: Fixtures, name: string) => path.join(fx.dir, `${name}-${++serial}`);

/** ansible.cfg for one ssh_config (ANSIBLE_CONFIG names it). */
function ansibleConfig(fx: Fixtures, config: string): string {
  const file = path.join(fx.dir, `ansible-${path.basename(config)}.cfg`);
  if (!fs.existsSync(file)) {
    const lines = [
      '[defaults]',
      'interpreter_python = /usr/bin/python3',
      'retry_files_enabled = False',
      'host_key_checking = True',
      `local_tmp = ${path.join(fx.dir, 'ansible-local')}`,
      '',
      '[ssh_connection]',
      'pipelining = True',
      `ssh_args = -F ${config} -o ControlMaster=auto -o ControlPersist=60s`,
      '',
    ];
    fs.writeFileSync(file, lines.join('\n'));
  }
  return file;
}

function inventory(fx: Fixtures, hosts: string[]): string {
  const file = path.join(fx.dir, `inventory-${hosts[0]}-${hosts.length}.ini`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, `${hosts.join('\n')}\n`);
  return file;
}

/** `ansible all -m MODULE -a ARGS` over the target's hosts, a fresh ControlPath directory each run (new connections). */
export function ansible(fx: Fixtures, anchors: Anchors, target: Target, module: string, args: string, capMs: number): Promise<Sample> {
  const env = { ...fx.env, ANSIBLE_CONFIG: ansibleConfig(fx, target.config), ANSIBLE_SSH_CONTROL_PATH_DIR: fresh(fx, 'ansible-cp') };
  const argv = [anchors.ansible.bin, 'all', '-i', inventory(fx, target.hosts), '-f', String(target.hosts.length), '-m', module, '-a', args];
  return measure({ argv, cwd: fx.dir, env, rusage: true, capMs, timeoutMs: capMs + 60_000 });
}

/** `parallel-ssh -p N` running COMMAND on every host. */
export function parallelSsh(fx: Fixtures, anchors: Anchors, target: Target, command: string, capMs: number): Promise<Sample> {
  const argv = [anchors.pssh.bin, '-h', inventory(fx, target.hosts), '-p', String(target.hosts.length), '-t', '0', '-x', `-F ${target.config}`, command];
  return measure({ argv, cwd: fx.dir, env: fx.env, rusage: true, capMs, timeoutMs: capMs + 60_000 });
}

/** `parallel-scp` of one local file to `remote` on every host. */
export function parallelScp(fx: Fixtures, anchors: Anchors, target: Target, local: string, remote: string, capMs: number): Promise<Sample> {
  const argv = [anchors.pssh.bin.replace(/parallel-ssh$/, 'parallel-scp'), '-h', inventory(fx, target.hosts), '-p', String(target.hosts.length), '-t', '0', '-x', `-F ${target.config}`, local, remote];
  return measure({ argv, cwd: fx.dir, env: fx.env, rusage: true, capMs, timeoutMs: capMs + 60_000 });
}

/** `pyinfra INVENTORY exec -- COMMAND` with --parallel N; its inventory gives each alias the sshd's address and key. */
export function pyinfra(fx: Fixtures, anchors: Anchors, target: Target, command: string, capMs: number): Promise<Sample> {
  const file = path.join(fx.dir, `pyinfra-${target.port}-${target.hosts.length}.py`);
  if (!fs.existsSync(file)) {
    const data = {
      ssh_hostname: '127.0.0.1',
      ssh_port: target.port,
      ssh_user: fx.tb.user,
      ssh_key: fx.tb.keyPath,
      ssh_known_hosts_file: path.join(fx.dir, `known_hosts-pyinfra-${target.port}`),
      ssh_strict_host_key_checking: 'yes',
    };
    fs.writeFileSync(data.ssh_known_hosts_file, `[127.0.0.1]:${target.port} ${fx.tb.hosts.direct.hostKey}\n`);
    fs.writeFileSync(file, `hosts = [(name, ${JSON.stringify(data)}) for name in ${JSON.stringify(target.hosts)}]\n`);
  }
  const argv = [anchors.pyinfra.bin, '-y', '--parallel', String(target.hosts.length), file, 'exec', '--', command];
  return measure({ argv, cwd: fx.dir, env: fx.env, rusage: true, capMs, timeoutMs: capMs + 60_000 });
}
