import { after } from 'node:test';
import { envStore } from '../../src/env/env.ts';
import { DEFAULTS } from '../../src/config/schema.ts';
import { runTaskOnHost } from '../../src/exec/runner.ts';
import type { RegisteredTask } from '../../src/fabfile/registry.ts';
import { closeAll } from '../../src/ssh/pool.ts';
import { clearTargetCache } from '../../src/ssh/target.ts';
import { loadTestbed, type Testbed } from '../hosts/testbed.ts';

export { loadTestbed, countBastionConnections, type Testbed } from '../hosts/testbed.ts';

/**
 * Sets env up as `fab -F <test bed ssh_config>` would, plus any extra settings (as if from flags),
 * and closes pooled connections after the test file. Call once per test file (or per test, to change settings).
 */
export function useTestbed(settings: Record<string, unknown> = {}): Testbed {
  const tb = loadTestbed();
  envStore.reset();
  envStore.setLayer('defaults', { ...DEFAULTS, hosts: [], roles: [], roledefs: {}, excludeHosts: [] }, 'defaults');
  envStore.setLayer('cli', { sshConfigPath: tb.sshConfigPath, noAgent: true, ...settings }, 'test');
  envStore.writeLayer = 'runtime';
  clearTargetCache();
  return tb;
}

let closing = false;
/** Registers closing of the pool at the end of the file (idempotent). */
export function closePoolAfter(): void {
  if (closing) return;
  closing = true;
  after(() => closeAll());
}

/**
 * Runs fn as a task on the given host string (e.g. 'web1', 'fabtest@direct'), the way `fab` runs tasks:
 * inside that host's context, with events emitted. Returns fn's value; rethrows its error.
 */
export async function onHost<T>(host: string, fn: () => Promise<T> | T): Promise<T> {
  let value: T | undefined;
  const task: RegisteredTask = { name: 'test', options: {}, description: undefined, params: undefined, fn: async () => (value = await fn()) };
  const outcome = await runTaskOnHost(task, { _: [] }, host);
  if (!outcome.ok) throw outcome.error;
  return value as T;
}
