// put() and get() for servers without an SFTP subsystem (Dropbear without sftp-server, sshd_config without a
// `Subsystem sftp` line), the way `scp -O` manages there: the bytes go through `cat` on exec channels. Still atomic:
// an upload lands under a temp name, its size is checked, then it is renamed over the target; a download goes to
// a local temp name, checked, renamed.
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { chmod, mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientChannel } from 'ssh2';
import { currentScope } from '../../env/context.ts';
import { FabError } from '../../errors.ts';
import { tempNameBeside } from '../../sftp/temp-names.ts';
import { connectionFor } from '../../ssh/pool.ts';
import { registerCleanup } from '../../util/cleanup.ts';
import { composeCommand, quotePath } from '../quoting/compose.ts';
import { localTarget } from './get-plan.ts';
import { portableShellLine } from '../quoting/login-shell.ts';
import { normalizeRemote } from '../file-access/paths.ts';
import { trackTransfer } from './progress.ts';
import { planPut, type PlannedUpload, type RemoteKind } from './put-plan.ts';
import { quote } from '../quoting/quote.ts';
import { TransferResult, type TransferredFile } from './transfer-result.ts';

/** Runs a script on an exec channel of the host's connection (in the cd() scope); `feed` writes its stdin, `read` takes its stdout, else it is kept. */
async function exec(host: string, script: string, options: { feed?: (channel: ClientChannel) => Promise<void>; read?: (channel: ClientChannel) => Promise<void> } = {}) {
  const connection = await connectionFor(host);
  const line = portableShellLine('/bin/sh -c', composeCommand(script, currentScope()));
  const channel = await connection.exec(line);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const done = new Promise<number | null>((resolve) => channel.once('close', (code: number | null) => resolve(typeof code === 'number' ? code : null)));
  const reading = options.read ? options.read(channel) : new Promise<void>((resolve) => channel.on('data', (chunk: Buffer) => out.push(chunk)).once('end', resolve));
  if (options.feed) await options.feed(channel);
  else channel.end();
  const [code] = await Promise.all([done, reading]);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8').trim().split('\n').pop() ?? '' };
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

function sourceStream(file: PlannedUpload): Readable {
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

/** get() of one remote file over an exec channel (no globs, no directories: those need SFTP). */
export async function getOverExec(host: string, remote: string, template: string): Promise<TransferResult> {
  const started = performance.now();
  const info = await exec(host, `t=${quotePath(remote)}; case $t in /*) ;; *) t=$(pwd)/$t;; esac; [ -f "$t" ] || { echo "not a regular file (directories and globs need SFTP)" >&2; exit 1; }; stat -L -c '%s %a' -- "$t" && printf '%s' "$t"`);
  if (info.code !== 0) throw failed('get', host, remote, info.stderr);
  const [sizeText, modeText, ...rest] = info.stdout.split(/[ \n]/);
  const path = normalizeRemote(rest.join(' '));
  const size = Number(sizeText);
  const mode = parseInt(modeText ?? '644', 8) & 0o777;
  const local = await localTarget(template, host, path, false);
  const temp = tempNameBeside(local, '.part');
  const unregister = registerCleanup(() => rmSync(temp, { force: true }));
  try {
    await mkdir(dirname(local), { recursive: true });
    const bytes = await trackTransfer({ host, direction: 'get', local, remote: path }, size, async (onProgress) => {
      const count = counter();
      count.on('data', () => onProgress(count.bytes));
      const sink = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
      const read = await exec(host, `cat -- ${quote(path)}`, { read: (channel) => pipeline(channel, count, sink) });
      if (read.code !== 0) throw failed('get', host, path, read.stderr);
      if (count.bytes !== size) throw failed('get', host, path, `got ${count.bytes} bytes of ${size}`);
      return { bytes: count.bytes };
    });
    await chmod(temp, mode);
    await rename(temp, local);
    return new TransferResult({ host, direction: 'get', files: [{ local, remote: path, bytes: bytes.bytes, mode }], durationMs: performance.now() - started });
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  } finally {
    unregister();
  }
}
