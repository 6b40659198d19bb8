/**
 * A starter fabfile written by `fab init`. Every exported function is a task:
 *   fab -l                     list the tasks
 *   fab hello                  run one locally
 *   fab uptime -H web1,web2    run one on hosts (user@host:port or ~/.ssh/config aliases)
 *   fab greet:name=Ada         pass arguments
 */
import { task, env, local, run } from 'fabts';

// Module-level assignments are defaults; config files and flags (-H, -u, --set) override them.
env.roledefs = { web: [] };

/** Say hello from this machine */
export async function hello() {
  await local('echo "hello from $(hostname)"');
}

/** Show uptime and disk usage of each host */
export async function uptime() {
  await run('uptime && df -h /');
}

export const greet = task(
  { description: 'Greet someone by name', aliases: ['hi'] },
  async ({ name = 'world' }) => {
    await local`echo ${`hello, ${name}`}`;
  },
);
