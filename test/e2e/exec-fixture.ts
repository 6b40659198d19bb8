// The fabfile the execution-model end-to-end tests run, and how they call `fab` on the test bed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fab, makeProject, type FabRun } from '../support/fab.ts';
import { loadTestbed, type Testbed } from '../hosts/testbed.ts';

export const FABFILE = `
import { task, run, sudo, local, env, execute, warn } from 'fabts';

env.roledefs = { web: ['web1', 'web2'], all: { hosts: ['web1', 'web2', 'direct'] } };

/** Three lines per host, each written in two halves with a pause between them. */
export const halves = task({ parallel: true }, async () => {
  await run(\`for i in 1 2 3; do printf '%s-%s-' \${env.host} $i; sleep 0.1; printf 'end\\\\n'; done\`);
});

/** Fails on the host named by fail=; leaves DIR/ID-HOST behind on every host that completes. */
export const mark = task(async ({ dir, id, fail = '' }) => {
  if (env.host === fail) await run(\`echo "cannot deploy on \${env.host}" >&2; exit 7\`);
  else await run('sleep 0.4');
  await run(\`touch \${dir}/\${id}-\${env.host}\`);
  return env.host;
});

export const where = task(async () => env.host ?? 'local');

export const once = task({ runsOnce: true }, async () => { console.log('ONCE ON ' + env.host); return env.host; });

export const values = task(async () => {
  console.log('printed by the task');
  const result = await run('echo hi-from-$(id -un)');
  return { host: env.host, stdout: result.stdout, dryRun: result.dryRun };
});

export const flaky = task(async () => {
  await run('echo about to fail; exit 3');
  await run('echo continued');
});

export const mixed = task(async () => {
  await run(\`printf 'line1\\\\nline2-no-newline'; printf '\\\\377\\\\376 raw\\\\n' >&2\`);
  await sudo('id -un');
  warn('careful now');
});

export const dry = task(async ({ dir, id }) => {
  const results = [await run(\`touch \${dir}/\${id}-run\`), await sudo(\`touch \${dir}/\${id}-sudo\`), await local(\`touch \${dir}/\${id}-local\`)];
  return results.map((result) => result.dryRun);
});

export const fanout = task(async () => execute(where, { roles: ['web'] }));

export const hang = task({ parallel: true }, async ({ marker }) => {
  await run(\`echo started; sleep 300.\${marker}; echo after-\${marker}\`);
});

export const stuck = task(async () => {
  console.log('stuck-started');
  await new Promise(() => setInterval(() => {}, 1000));
});

export const slow = task({ parallel: true }, async () => {
  await run('for i in 1 2 3 4 5 6; do echo line $i; sleep 0.3; done');
});

export const fails = task(async () => {
  await run('echo partial output; echo "it broke badly" >&2; exit 3');
});
`;

export interface ExecProject {
  tb: Testbed;
  dir: string;
  fab(args: string[], options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<FabRun>;
  /** `-F <test bed ssh_config>` plus args, as a person would type after setting up ~/.ssh/config. */
  args(args: string[]): string[];
}

/** A project with the fixture fabfile; the sudo password comes from a project config file, never argv. */
export function execProject(): ExecProject {
  const tb = loadTestbed();
  const dir = makeProject({ 'fabfile.ts': FABFILE });
  writeFileSync(join(dir, '.fabrc.json'), JSON.stringify({ sudoPassword: tb.password, noAgent: true }));
  const args = (rest: string[]) => ['-F', tb.sshConfigPath, ...rest];
  return { tb, dir, args, fab: (rest, options = {}) => fab(args(rest), { cwd: dir, ...options }) };
}
