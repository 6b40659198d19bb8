// What the figures were measured on: cores, load, the ssh2 native crypto addon, tool versions.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import fs from 'node:fs';

export interface MachineNotes {
  date: string;
  cpus: number;
  cpuModel: string;
  loadBefore: string;
  loadAfter: string;
  memory: string;
  os: string;
  node: string;
  ssh2: string;
  ssh2Native: boolean;
  openssh: string;
  pythonFabric: string;
  /** One line per anchor: 'Ansible: ansible [core 2.14.18] (Debian ansible-core); settings ...'. */
  anchors?: string[];
}

const require = createRequire(import.meta.url);

export function loadAverage(): string {
  return os.loadavg().map((value) => value.toFixed(2)).join(' ');
}

function osName(): string {
  try {
    return /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type();
  } catch {
    return `${os.type()} ${os.release()}`;
  }
}

export function machineNotes(pythonFabric: string): MachineNotes {
  const ssh = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    loadBefore: loadAverage(),
    loadAfter: '',
    memory: `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    os: osName(),
    node: process.version,
    ssh2: (require('ssh2/package.json') as { version: string }).version,
    // The same check ssh2 makes: without the addon it falls back to slower pure-JS ciphers.
    ssh2Native: Boolean((require('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean }).bindingAvailable),
    openssh: (ssh.stderr || ssh.stdout).trim(),
    pythonFabric,
  };
}
