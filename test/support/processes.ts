import fs from 'node:fs';

/**
 * Live processes (zombies excluded) whose command line contains `marker`, as "pid: cmdline" lines. The test hosts are
 * this machine, so this is how a test proves a remote command really ended; markers are unique per test.
 */
export function processesMatching(marker: string): string[] {
  const found: string[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/^\S+ \(.*\) [ZX] /.test(stat)) continue;
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmdline.includes(marker)) found.push(`${name}: ${cmdline}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}
