// Stand-in for the repository's fabfile.example.ts (not on main yet): a small, typical fabfile for the
// start-up figure (`fab -l`). example.py is the same fabfile for Python Fabric.
import { task, env, run, sudo, local, cd } from 'fabts';

env.roledefs = { web: ['web1', 'web2'] };

/** Show local and remote host info */
export async function info() {
  await local('uname -a');
  await run('uname -a && df -h /');
}

export const deploy = task({ description: 'Ship a build', roles: ['web'], parallel: true }, async ({ branch = 'main' }) => {
  await cd('/srv/app', async () => {
    await run`git fetch && git checkout ${branch}`;
    await sudo('systemctl restart app');
  });
});

/** Tail the application log */
export async function logs() {
  await run('tail -n 50 /var/log/app.log');
}

export const db = {
  migrate: task({ description: 'Run the database migrations' }, async () => {
    await run('./migrate');
  }),
};
