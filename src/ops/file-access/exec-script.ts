// Scripts on exec channels for file operations on servers without SFTP (exec-fs.ts, exec-transfer.ts): run one
// through /bin/sh whatever the login shell, with a cap on what it may print, and turn its failure into the SftpError
// it stands for, so that fileError words it as it words SFTP's.
import type { ClientChannel } from 'ssh2';
import { connectionFor } from '../../ssh/pool.ts';
import { SFTP_STATUS, SftpError, tooMany } from '../../sftp/session.ts';
import { portableShellLine } from '../quoting/login-shell.ts';

/** Exit statuses our scripts use to say why they failed (the SFTP status they stand for). */
export const NO_SUCH_FILE = 102;
export const DENIED = 103;
export const TOO_MANY = 109;

export interface ExecResult {
  code: number | null;
  stdout: Buffer;
  /** stderr's last line: what the failing command said. */
  stderr: string;
  /** It printed more than maxBytes (and was stopped). */
  overflow?: boolean;
}

/**
 * Runs a /bin/sh script on an exec channel of the host's connection, whatever the login shell. `feed` writes its
 * stdin (else it is closed), `read` takes its stdout (else it is kept, up to `maxBytes`: a host printing more
 * fails the script instead of filling fab's memory).
 */
export async function execScript(
  host: string,
  script: string,
  options: { feed?: (channel: ClientChannel) => Promise<void>; read?: (channel: ClientChannel) => Promise<void>; maxBytes?: number } = {},
): Promise<ExecResult> {
  const connection = await connectionFor(host);
  const channel = await connection.exec(portableShellLine('/bin/sh -c', script));
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  let overflow = false;
  channel.stderr.on('data', (chunk: Buffer) => err.length < 64 && err.push(chunk));
  const done = new Promise<number | null>((resolve) => channel.once('close', (code: number | null) => resolve(typeof code === 'number' ? code : null)));
  const reading = options.read
    ? options.read(channel)
    : new Promise<void>((resolve) =>
        channel
          .on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (options.maxBytes !== undefined && size > options.maxBytes) {
              overflow = true;
              channel.close();
            } else if (!overflow) out.push(chunk);
          })
          .once('end', resolve)
          .once('close', resolve),
      );
  if (options.feed) await options.feed(channel);
  else channel.end();
  const [code] = await Promise.all([done, reading]);
  if (overflow) return { code, stdout: Buffer.alloc(0), stderr: '', overflow };
  return { code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8').trim().split('\n').pop() ?? '' };
}

/** The SftpError a failed script stands for, so that fileError words it as it words SFTP's. */
export function scriptError(op: string, path: string, result: ExecResult, maxListing = 0): SftpError {
  if (result.code === TOO_MANY || (result.overflow && op === 'readdir')) return tooMany(path, maxListing);
  if (result.overflow) return new SftpError(op, path, SFTP_STATUS.FAILURE, 'the host sent more than fabts reads this way');
  if (result.code === NO_SUCH_FILE || /no such file/i.test(result.stderr)) return new SftpError(op, path, SFTP_STATUS.NO_SUCH_FILE, 'no such file');
  if (result.code === DENIED || /permission denied/i.test(result.stderr)) return new SftpError(op, path, SFTP_STATUS.PERMISSION_DENIED, 'permission denied');
  const why = result.stderr.replace(/^(\S+: )+/, '') || (result.code === null ? 'the connection was lost' : `exit code ${result.code}`);
  return new SftpError(op, path, SFTP_STATUS.FAILURE, why);
}
