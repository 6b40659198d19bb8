// The tools people pick for fleets, raced beside OpenSSH and Python Fabric: Ansible (Debian's ansible-core) and
// parallel-ssh (Debian's pssh), installed when missing, and pyinfra (PyPI only: tried in a venv of the bench's own,
// quickly; when that fails its column says why, and no figure is made up).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aptInstall } from './apt.ts';

export interface Anchor {
  available: boolean;
  /** "ansible [core 2.14.18]", or why it is missing. */
  description: string;
  /** The executable to run (pyinfra: in the bench's venv). */
  bin: string;
}

export interface Anchors {
  ansible: Anchor;
  pssh: Anchor;
  pyinfra: Anchor;
}

export type AnchorName = keyof Anchors;

export const ANCHOR_LABELS: Record<AnchorName, string> = { ansible: 'Ansible', pssh: 'parallel-ssh', pyinfra: 'pyinfra' };

function version(bin: string, args: string[]): string | undefined {
  const out = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
  return out.status === 0 ? (out.stdout || out.stderr).trim().split('\n')[0] : undefined;
}

function fromApt(pkg: string, bin: string, args: string[], log: (line: string) => void): Anchor {
  // pssh prints its bare version number.
  const named = (found: string) => `${/^[\d.]+$/.test(found) ? `${bin} ${found}` : found} (Debian ${pkg})`;
  const found = version(bin, args);
  if (found) return { available: true, description: named(found), bin };
  const failure = aptInstall(pkg, log);
  const after = version(bin, args);
  return after
    ? { available: true, description: named(after), bin }
    : { available: false, description: `not available (apt-get install -y ${pkg}: ${failure || `installed, but ${bin} does not run`})`, bin };
}

/** pyinfra in a venv under ~/.cache/fabts-bench (kept between runs); pip gets 90 s at most. */
function pyinfra(log: (line: string) => void): Anchor {
  const venv = path.join(os.homedir(), '.cache', 'fabts-bench', 'pyinfra-venv');
  const bin = path.join(venv, 'bin', 'pyinfra');
  const found = fs.existsSync(bin) ? version(bin, ['--version']) : undefined;
  if (found) return { available: true, description: `${found} (PyPI, in ${venv})`, bin };
  log('pyinfra: python3 -m venv, then pip install pyinfra (90 s at most)');
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  const made = spawnSync('/usr/bin/python3', ['-m', 'venv', venv], { encoding: 'utf8', timeout: 60_000 });
  if (made.status !== 0) return { available: false, description: `not available (python3 -m venv: ${lastLine(made)})`, bin };
  const pip = spawnSync(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--timeout', '10', '--retries', '1', 'pyinfra'], {
    encoding: 'utf8',
    timeout: 90_000,
  });
  const after = pip.status === 0 ? version(bin, ['--version']) : undefined;
  return after
    ? { available: true, description: `${after} (PyPI, in ${venv})`, bin }
    : { available: false, description: `not available (pip install pyinfra: ${pip.error ? 'no answer in 90 s' : lastLine(pip)})`, bin };
}

function lastLine(out: { stdout: string; stderr: string; error?: Error }): string {
  return (out.stderr || out.stdout || String(out.error ?? 'failed')).trim().split('\n').slice(-1)[0] ?? 'failed';
}

export function ensureAnchors(log: (line: string) => void): Anchors {
  const anchors: Anchors = {
    ansible: fromApt('ansible-core', 'ansible', ['--version'], log),
    pssh: fromApt('pssh', 'parallel-ssh', ['--version'], log),
    pyinfra: pyinfra(log),
  };
  for (const [name, anchor] of Object.entries(anchors)) if (!anchor.available) log(`bench: ${ANCHOR_LABELS[name as AnchorName]} ${anchor.description}; its column stays empty`);
  return anchors;
}
