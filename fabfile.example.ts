/**
 * fabts by example: the three worked examples of Fabric, and a small deploy.
 *
 *   fab -f fabfile.example.ts -l                          list the tasks
 *   fab -f fabfile.example.ts -H web1,web2 info           local and remote host information
 *   fab -f fabfile.example.ts -H web1 upload              upload files through the gateway (bastion)
 *   fab -f fabfile.example.ts -H web1 logs                list a remote directory, act on each entry
 *   fab -f fabfile.example.ts deploy:release=v2           deploy to the web role through the bastion
 *   fab -f fabfile.example.ts deploy --batch 1,50% --gate-http 'http://127.0.0.1:8080/health' --max-fail 0 --lock-wait 30
 *                                                         the same, rolling: a canary, then half the hosts at a time,
 *                                                         each checked on its own /health, under a deploy lock
 *
 * `bash scripts/demo` runs all of them on built-in demo hosts: web1 and web2 are reachable only through the
 * bastion (ProxyJump in the demo's ssh_config; `env.gateway = 'bastion'` or `-g bastion` does the same).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { task, env, local, run, sudo, put, get, listdir, mkdir, cd, lcd } from 'fabts';

env.roledefs = { web: ['web1', 'web2'] };

/**
 * Where the examples work on each host: `--set demoRoot=/srv/demo`, or a config file. The built-in demo hosts all
 * live on one machine and share its disk, so each host keeps to a directory of its own.
 */
function root(): string {
  return `${(env.demoRoot as string | undefined) ?? '/tmp/fabts-demo'}/${env.host}`;
}

/** Show local and remote host information */
export async function info() {
  await local('echo "local: $(uname -srm), $(whoami)@$(hostname)"');
  const result = await run('echo "$(uname -srm), $(whoami) since $(uptime -s 2>/dev/null || uptime)"; df -h / | tail -1');
  return String(result).split('\n')[0];
}

/** Upload files through the gateway (bastion) */
export async function upload() {
  const dir = await mkdtemp(join(tmpdir(), 'fabts-upload-'));
  await writeFile(join(dir, 'access.log'), 'GET / 200\nGET /health 200\n');
  await writeFile(join(dir, 'error.log'), 'worker 3 restarted\n');
  await writeFile(join(dir, 'notes.txt'), 'not a log\n');
  await mkdir(`${root()}/logs`, { parents: true });
  // A glob uploads every match; a remote directory target keeps each file's name.
  const written = await put(join(dir, '*'), `${root()}/logs/`);
  return written.paths;
}

/** List a remote directory and act on each entry: count lines, download the logs */
export const logs = task(async ({ dir = `${root()}/logs` }) => {
  const fetched: string[] = [];
  for (const name of await listdir(String(dir))) {
    if (!name.endsWith('.log')) continue;
    await run`wc -l ${`${dir}/${name}`}`;
    // {host} keeps files from several hosts apart: downloads/web1/access.log, downloads/web2/access.log ...
    const downloaded = await get(`${dir}/${name}`, join(tmpdir(), 'fabts-downloads', '{host}', '{basename}'));
    fetched.push(...downloaded.paths);
  }
  return fetched;
});

/** Ship a release to the web role, in parallel, through the bastion, under a deploy lock */
export const deploy = task({ roles: ['web'], parallel: true, lock: true }, async ({ release = 'v1' }) => {
  const build = await mkdtemp(join(tmpdir(), 'fabts-build-'));
  await lcd(build, () => local`mkdir -p app && echo ${release} > app/VERSION && tar czf app.tgz -C app .`);

  const releaseDir = `${root()}/app/releases/${release}`;
  await mkdir(releaseDir, { parents: true });
  await put(join(build, 'app.tgz'), `${releaseDir}/app.tgz`);
  await cd(releaseDir, () => run('tar xzf app.tgz && rm app.tgz'));
  await run`ln -sfn ${releaseDir} ${`${root()}/app/current`}`;
  // sudo answers the password prompt from env.sudoPassword (a config file), env.password or a prompt.
  await sudo`test -r ${`${root()}/app/current/VERSION`}`;
  return String(await run`cat ${`${root()}/app/current/VERSION`}`);
});
