// Debian packages the bench needs for its anchors (python3-fabric, ansible-core, pssh): installed when missing.
import { spawnSync } from 'node:child_process';

/** apt-get install -y PACKAGE (then apt-get update and once more on failure); '' on success, else the last line apt printed. */
export function aptInstall(pkg: string, log: (line: string) => void): string {
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  log(`${pkg} is missing: apt-get install -y ${pkg}`);
  let out = install();
  if (out.status !== 0) {
    log('apt-get install failed; apt-get update, then once more');
    spawnSync('apt-get', ['update', '-q'], { encoding: 'utf8' });
    out = install();
  }
  return out.status === 0 ? '' : (out.stderr || out.stdout || String(out.error ?? '')).trim().split('\n').slice(-1)[0] ?? 'failed';
}
