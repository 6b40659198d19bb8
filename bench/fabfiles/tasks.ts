// The fabts side of the remote figures. Each task that measures something prints one `BENCH {json}` line.
import { getHeapStatistics } from 'node:v8';
import { task, run, quiet, put, get } from 'fabts';

/** N sequential `true` on the current host's open connection (the first command, which connects, is not timed). */
export async function loop({ n = '200' }: { n?: string }) {
  await quiet(async () => {
    await run('true');
    const count = Number(n);
    const started = performance.now();
    for (let i = 0; i < count; i++) await run('true');
    console.log(`BENCH ${JSON.stringify({ loopMs: performance.now() - started, count })}`);
  });
}

/** `true` N times in a row on the current host (the bastion figure: -H web1,web2 -P). */
export async function repeat({ n = '20' }: { n?: string }) {
  await quiet(async () => {
    for (let i = 0; i < Number(n); i++) await run('true');
  });
}

/** Opens the host's connection and leaves it open (the pool keeps it until the run ends). */
export async function touch() {
  await quiet(() => run('true'));
}

/** SFTP figures: put a local file or directory (`put:local=...,remote=...`); the harness times the whole `fab`. */
export async function upload({ local, remote }: { local: string; remote: string }) {
  await quiet(() => put(local, remote));
}

/** SFTP figures: get a remote file to a local path. */
export async function download({ remote, local }: { remote: string; local: string }) {
  await quiet(() => get(remote, local));
}

function rssKiB(): number {
  return process.memoryUsage().rss / 1024;
}

/** Memory now: peak RSS, and RSS after a full GC (run node with --expose-gc), in KiB. */
export const memory = task({ runsOnce: true }, async () => {
  const peakKiB = process.resourceUsage().maxRSS;
  const beforeGcKiB = rssKiB();
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const { heapUsed, external, arrayBuffers } = process.memoryUsage();
  const kib = (bytes: number) => Math.round(bytes / 1024);
  const heap = getHeapStatistics();
  const after = {
    afterGcKiB: rssKiB(),
    heapUsedKiB: kib(heapUsed),
    heapCommittedKiB: kib(heap.total_heap_size),
    externalKiB: kib(external),
    arrayBuffersKiB: kib(arrayBuffers),
  };
  console.log(`BENCH ${JSON.stringify({ peakKiB, beforeGcKiB, ...after })}`);
});
