import { chmod, mkdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { CurrentHost } from '../../env/context.ts';
import { downloadAtomically, readWhole } from '../../sftp/download.ts';
import { SftpError, SFTP_STATUS, type SftpSession } from '../../sftp/session.ts';
import { stagingName } from '../../sftp/temp-names.ts';
import { remoteGlobFileSystem, removeRemoteTree } from '../../sftp/tree.ts';
import { registerCleanup } from '../../util/cleanup.ts';
import { hasGlobMagic, matchGlob } from '../../util/glob.ts';
import { mapLimit } from '../../util/map-limit.ts';
import { fileError, fileUsage } from '../file-access/fs-errors.ts';
import { localTarget, planGet, type GetPlan, type RemoteMatch } from './get-plan.ts';
import { DEFAULT_GET_TEMPLATE, resolveRemotePath } from '../file-access/paths.ts';
import { trackTransfer } from './progress.ts';
import { FILES_AT_ONCE } from './put.ts';
import { isDryRun, lacksSftp, privileged, sftpOnHost, sudoIsRoot, sudoUserForAcl } from '../file-access/sftp-host.ts';
import { getOverExec } from './exec-transfer.ts';
import { requireHost } from '../command/remote.ts';
import { quote } from '../quoting/quote.ts';
import { NOTHING_MATCHED, STAGED_MODES, listScript, parseStagedModes, stageScript } from '../file-access/sudo-scripts/index.ts';
import { TransferResult, reportDryRun, type TransferredFile } from './transfer-result.ts';

export interface GetOptions {
  /** Read as root (or env.sudoUser): sudo copies the files to a private staging directory first. */
  useSudo?: boolean;
  /** Where useSudo stages files on the host (default /tmp). */
  tempDir?: string;
}

function notFound(path: string): SftpError {
  return new SftpError('stat', path, SFTP_STATUS.NO_SUCH_FILE, 'no such file');
}

/** The remote path, or every match of a remote glob, as the login user sees them. */
async function remoteMatches(session: SftpSession, text: string): Promise<RemoteMatch[]> {
  const path = await resolveRemotePath(session, text);
  if (await session.statOrNone(path)) return [{ read: path, shown: path }];
  if (!hasGlobMagic(text)) throw notFound(path);
  const matches = await matchGlob(path, remoteGlobFileSystem(session));
  if (matches.length === 0) throw notFound(path);
  return matches.map((match) => ({ read: match, shown: match }));
}

async function fetch(session: SftpSession, host: string, plan: GetPlan): Promise<TransferredFile[]> {
  const created: GetPlan['dirs'] = [];
  for (const dir of plan.dirs) {
    const existed = await stat(dir.local).then((stats) => stats.isDirectory(), () => false);
    await mkdir(dir.local, { recursive: true });
    if (!existed) created.push(dir);
  }
  const files = await mapLimit(plan.files, FILES_AT_ONCE, (file) =>
    trackTransfer({ host, direction: 'get', local: file.local, remote: file.remote }, file.size, async (onProgress) => {
      const { bytes, mode } = await downloadAtomically(session, file.read, file.local, { mode: file.mode, onProgress });
      return { local: file.local, remote: file.remote, bytes, mode };
    }),
  );
  for (const dir of created.reverse()) await chmod(dir.local, dir.mode);
  return files;
}

/**
 * useSudo: sudo copies every match into a private staging directory, from which the login user downloads the
 * copies; the staging directory goes away whatever happens. As root, into the login user's own 0700 directory,
 * the copies then handed to the login user. A non-root sudo user makes its own 0700 directory, shares it with the
 * login user alone through an ACL, and removes it at the end (nobody else can).
 */
async function getWithSudo(session: SftpSession, host: CurrentHost, remote: string, template: string, tempDir: string): Promise<{ plan: GetPlan; files: TransferredFile[] }> {
  const staging = posix.join(await resolveRemotePath(session, tempDir), stagingName());
  const sudoUser = sudoUserForAcl();
  if (sudoUser === undefined) await session.mkdir(staging, 0o700);
  const removeAsSudoUser = () => privileged('get', host.text, `rm -rf -- ${quote(staging)}`).then(() => {});
  const cleanup = async () => {
    await (sudoUser === undefined ? removeRemoteTree(session, staging).catch(removeAsSudoUser) : removeAsSudoUser()).catch(() => {});
  };
  const unregister = registerCleanup(cleanup);
  try {
    const pattern = await resolveRemotePath(session, remote);
    const script = stageScript(pattern, staging, sudoUser);
    const { stdout, code } = await privileged('get', host.text, script, { readOnly: true, code: 'TRANSFER', okCodes: [NOTHING_MATCHED] });
    if (code === NOTHING_MATCHED) throw notFound(pattern);
    const matches = stdout.split('\0').filter(Boolean).map((shown, index) => ({ read: `${staging}/${index + 1}/x`, shown }));
    // The ACL that lets the login user in shows in the copies' group bits: the modes come from the list made before it.
    const modes = sudoUser === undefined ? undefined : parseStagedModes(staging, String(await readWhole(session, `${staging}/${STAGED_MODES}`)));
    const plan = await planGet(session, 'get', host.text, matches, template, modes);
    return { plan, files: await fetch(session, host.text, plan) };
  } finally {
    await cleanup();
    unregister();
  }
}

/** Under --dry-run, what useSudo would fetch, found without copying anything: the matches as root sees them. */
async function planWithSudo(session: SftpSession, host: string, remote: string, template: string): Promise<GetPlan> {
  const pattern = await resolveRemotePath(session, remote);
  const { stdout } = await privileged('get', host, listScript(pattern), { readOnly: true, code: 'TRANSFER' });
  const matches = stdout.split('\0').filter(Boolean);
  if (matches.length === 0) throw notFound(pattern);
  const files = await Promise.all(matches.map(async (shown) => ({ read: shown, remote: shown, local: await localTarget(template, host, shown, matches.length > 1), size: 0, mode: 0 })));
  return { dirs: [], files };
}

function describePlan(plan: GetPlan): string {
  const [first] = plan.files;
  if (plan.files.length === 1 && first) return `${first.remote} -> ${first.local}`;
  const bytes = plan.files.reduce((sum, file) => sum + file.size, 0);
  return `${plan.files.length} files (${bytes} bytes) -> ${plan.dirs[0]?.local ?? (first ? posix.dirname(first.local) : '')}`;
}

/**
 * Downloads from the current host: a file, a directory (recursively) or a remote glob. The local path may
 * use `{host} {dirname} {basename} {path}`; the default `{host}/{path}` keeps hosts apart. Missing local
 * directories are made; each file lands atomically (temp name, size checked, renamed into place).
 */
export async function get(remote: string, local?: string, options: GetOptions = {}): Promise<TransferResult> {
  const started = performance.now();
  const { host, session } = await sftpOnHost('get').catch((error: unknown) => {
    if (!lacksSftp(error) || options.useSudo || isDryRun() || typeof remote !== 'string' || hasGlobMagic(remote)) throw error;
    return { host: requireHost('get'), session: undefined };
  });
  if (!session) return getOverExec(host.text, remote, local ?? DEFAULT_GET_TEMPLATE).catch((error: unknown) => Promise.reject(fileError('get', host.text, error, { code: 'TRANSFER' })));
  if (typeof remote !== 'string' || remote === '') throw fileUsage('get', host.text, 'give the remote path to download', 'TRANSFER');
  const template = local ?? DEFAULT_GET_TEMPLATE;
  try {
    let plan: GetPlan;
    let files: TransferredFile[] | undefined;
    if (options.useSudo && isDryRun()) {
      plan = await planWithSudo(session, host.text, remote, template);
    } else if (options.useSudo) {
      ({ plan, files } = await getWithSudo(session, host, remote, template, options.tempDir ?? '/tmp'));
    } else {
      plan = await planGet(session, 'get', host.text, await remoteMatches(session, remote), template);
      if (!isDryRun()) files = await fetch(session, host.text, plan);
    }
    if (!files) {
      reportDryRun('get', host.text, `${describePlan(plan)}${options.useSudo ? ' (sudo)' : ''}`);
      const planned = plan.files.map((file) => ({ local: file.local, remote: file.remote, bytes: file.size, mode: file.mode }));
      return new TransferResult({ host: host.text, direction: 'get', files: planned, dryRun: true, durationMs: performance.now() - started });
    }
    return new TransferResult({ host: host.text, direction: 'get', files, durationMs: performance.now() - started });
  } catch (error) {
    if (isDryRun() && error instanceof SftpError && error.notFound) {
      // Under --dry-run an earlier put may only have pretended to make it: say so instead of failing the task.
      reportDryRun('get', host.text, `${remote} -> ${template} (not there now)`);
      return new TransferResult({ host: host.text, direction: 'get', files: [], dryRun: true, durationMs: performance.now() - started });
    }
    throw fileError('get', host.text, error, { code: 'TRANSFER' });
  }
}
