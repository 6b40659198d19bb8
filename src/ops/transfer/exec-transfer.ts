// put() and get() for servers without an SFTP subsystem (Dropbear without sftp-server, sshd_config without a
// `Subsystem sftp` line), the way `scp -O` manages there: the bytes go through `cat` on exec channels. Still atomic:
// an upload lands under a temp name, its size is checked, then it is renamed over the target; a download goes to
// a local temp name, checked, renamed. (Planning, listings and useSudo's steps use exec-fs.ts and the sudo scripts.)
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { chmod, mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { currentScope } from '../../env/context.ts';
import { FabError } from '../../errors.ts';
import { tempNameBeside } from '../../sftp/temp-names.ts';
import { registerCleanup } from '../../util/cleanup.ts';
import { composeCommand, quotePath } from '../quoting/compose.ts';
import { execScript, scriptError } from '../file-access/exec-script.ts';
import { normalizeRemote } from '../file-access/paths.ts';
import { trackTransfer } from './progress.ts';
import { planPut, type PlannedUpload, type RemoteKind } from './put-plan.ts';
import { quote } from '../quoting/quote.ts';
import { TransferResult, type TransferredFile } from './transfer-result.ts';

/** Runs a script on an exec channel of the host's connection, in the cd() scope (see execScript). */
async function exec(host: string, script: string, options: Parameters<typeof execScript>[2] = {}) {
  const result = await execScript(host, composeCommand(script, currentScope()), options);
  return { code: result.code, stdout: result.stdout.toString('utf8'), stderr: result.stderr };
}

function failed(op: string, host: string, path: string, why: string): FabError {
  return new FabError('TRANSFER', `${op} on ${host}: ${path}: ${why || 'failed'} (no SFTP on this server: sent through cat)`, { host });
}

/** The absolute path and kind of a remote path, as the shell sees it (relative paths follow cd(), `~` is home). */
async function probe(host: string, remote: string): Promise<{ path: string; kind: RemoteKind }> {
  const script = [
    `t=${quotePath(remote)}`,
    'case $t in /*) ;; *) t=$(pwd)/$t;; esac',
    'if [ -d "$t" ]; then k=dir; elif [ -e "$t" ]; then k=file; else k=none; fi',
    `printf '%s\\n%s' "$k" "$t"`,
  ].join('\n');
  const { code, stdout, stderr } = await exec(host, script);
  if (code !== 0) throw failed('put', host, remote, stderr);
  const [kind, ...rest] = stdout.split('\n');
  return { kind: kind as RemoteKind, path: normalizeRemote(rest.join('\n')) };
}

/** Counts the bytes passing through. */
function counter(): Transform & { bytes: number } {
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      stream.bytes += chunk.length;
      callback(null, chunk);
    },
  }) as Transform & { bytes: number };
  stream.bytes = 0;
  return stream;
}

export function sourceStream(file: PlannedUpload): Readable {
  if (file.source.kind === 'buffer') return Readable.from([file.source.data]);
  if (file.source.kind === 'stream') return file.source.stream;
  return createReadStream(file.source.path);
}

async function uploadOne(host: string, file: PlannedUpload): Promise<TransferredFile> {
  const temp = tempNameBeside(file.remote, '.tmp');
  const [t, tmp] = [quote(file.remote), quote(temp)];
  return trackTransfer({ host, direction: 'put', local: file.local, remote: file.remote }, file.size, async (onProgress) => {
    const count = counter();
    count.on('data', () => onProgress(count.bytes));
    const unregister = registerCleanup(async () => void (await exec(host, `rm -f -- ${tmp}`).catch(() => undefined)));
    try {
      // Made private (umask 077) until it has every byte and its mode.
      const sent = await exec(host, `umask 077; cat > ${tmp} && wc -c < ${tmp}`, {
        feed: (channel) => pipeline(sourceStream(file), count, channel),
      });
      const stored = Number(sent.stdout.trim());
      if (sent.code !== 0 || stored !== count.bytes) {
        await exec(host, `rm -f -- ${tmp}`);
        throw failed('put', host, file.remote, sent.code !== 0 ? sent.stderr : `the host has ${stored} bytes where ${count.bytes} were sent`);
      }
      const mode = file.mode === undefined ? '' : file.mode.toString(8);
      const placed = await exec(host, `m=${mode || "''"}; [ -n "$m" ] || m=$(stat -c %a -- ${t} 2>/dev/null) || m=644; chmod "$m" ${tmp} && mv -f -- ${tmp} ${t} && echo "$m" || { rm -f -- ${tmp}; exit 1; }`);
      if (placed.code !== 0) throw failed('put', host, file.remote, placed.stderr);
      return { local: file.local, remote: file.remote, bytes: count.bytes, mode: parseInt(placed.stdout.trim(), 8) };
    } finally {
      unregister();
    }
  });
}

/** put() over exec channels: files one at a time, directories made with mkdir -p. */
export async function putOverExec(op: string, host: string, local: Parameters<typeof planPut>[2], remote: string, options: { mode: number | undefined; mirrorLocalMode: boolean }): Promise<TransferResult> {
  const started = performance.now();
  const target = await probe(host, remote);
  const plan = await planPut(op, host, local, remote, target, options);
  for (const dir of plan.dirs) {
    const made = await exec(host, `[ -d ${quote(dir.remote)} ] || { mkdir -p -- ${quote(dir.remote)} ${dir.mode === undefined ? '' : `&& chmod ${dir.mode.toString(8)} ${quote(dir.remote)}`}; }`);
    if (made.code !== 0) throw failed(op, host, dir.remote, made.stderr);
  }
  const files: TransferredFile[] = [];
  for (const file of plan.files) files.push(await uploadOne(host, file));
  return new TransferResult({ host, direction: 'put', files, durationMs: performance.now() - started });
}

/**
 * Downloads one remote file through `cat` to a local temp name, checks its size against the host's, and renames it
 * into place with `mode` (default: the remote file's permission bits). Nothing is left behind when it fails.
 */
export async function downloadOverExec(host: string, remote: string, local: string, options: { mode?: number; onProgress?: (bytes: number) => void } = {}): Promise<{ bytes: number; mode: number }> {
  const info = await execScript(host, `p=${quote(remote)}; [ -f "$p" ] || { echo "not a regular file" >&2; exit 1; }; exec stat -L -c '%s %a' -- "$p"`);
  if (info.code !== 0) throw scriptError('open', remote, info);
  const [size, remoteMode] = info.stdout.toString('utf8').trim().split(' ').map((field, index) => (index === 0 ? Number(field) : parseInt(field, 8)));
  const mode = (options.mode ?? remoteMode ?? 0o644) & 0o777;
  const temp = tempNameBeside(local, '.part');
  await mkdir(dirname(local), { recursive: true });
  const unregister = registerCleanup(() => rmSync(temp, { force: true }));
  try {
    const count = counter();
    if (options.onProgress) count.on('data', () => options.onProgress!(count.bytes));
    const sink = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
    const read = await execScript(host, `exec cat -- ${quote(remote)}`, { read: (channel) => pipeline(channel, count, sink) });
    if (read.code !== 0) throw scriptError('read', remote, read);
    if (count.bytes !== size) throw failed('get', host, remote, `got ${count.bytes} bytes of ${size}`);
    await chmod(temp, mode);
    await rename(temp, local);
    return { bytes: count.bytes, mode };
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  } finally {
    unregister();
  }
}

/**
 * Writes bytes to a new file in a private staging directory of the login user's (useSudo without SFTP): refused
 * unless the directory is the login user's own and no one else's (0700), created with O_EXCL (noclobber) and
 * umask 077, its size checked. Resolves the bytes written.
 */
export async function stageOverExec(host: string, staging: string, name: string, source: Readable, onProgress?: (bytes: number) => void): Promise<number> {
  const count = counter();
  if (onProgress) count.on('data', () => onProgress(count.bytes));
  const script = [
    `cd -P -- ${quote(staging)} || exit 1`,
    `[ "$(stat -c '%u %a' .)" = "$(id -u) 700" ] || { echo 'the staging directory is not private any more' >&2; exit 1; }`,
    `umask 077; set -C; cat > ${quote(name)} && wc -c < ${quote(name)}`,
  ].join('\n');
  const sent = await execScript(host, script, { feed: (channel) => pipeline(source, count, channel) });
  if (sent.code !== 0) throw scriptError('write', `${staging}/${name}`, sent);
  const stored = Number(sent.stdout.toString('utf8').trim());
  if (stored !== count.bytes) throw failed('put', host, `${staging}/${name}`, `the host has ${stored} bytes where ${count.bytes} were sent`);
  return count.bytes;
}
