// Scripts on exec channels for file operations on servers without SFTP (exec-fs.ts, exec-transfer.ts): run one
// through /bin/sh whatever the login shell, with a cap on what it may print, and turn its failure into the SftpError
// it stands for, so that fileError words it as it words SFTP's.
import type { ClientChannel } from 'ssh2';
import { DEFAULTS } from '../../config/schema.ts';
import { env } from '../../env/env.ts';
import { connectionFor } from '../../ssh/pool.ts';
import { IdleTimer } from '../../util/idle-timer.ts';
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
 * Calls `onMove` whenever data moves on the channel, either way, however the caller reads or writes it (piped or
 * not): ssh2's Channel pushes what arrives (stdout and stderr) and sends what its `_write` is given.
 */
function watchTraffic(channel: ClientChannel, onMove: () => void): void {
  const hooks: [Record<string, unknown>, string][] = [
    [channel as unknown as Record<string, unknown>, 'push'],
    [channel.stderr as unknown as Record<string, unknown>, 'push'],
    [channel as unknown as Record<string, unknown>, '_write'],
  ];
  for (const [stream, name] of hooks) {
    const original = stream[name] as (...args: unknown[]) => unknown;
    stream[name] = function (this: unknown, ...args: unknown[]) {
      onMove();
      return original.apply(this, args);
    };
  }
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
  // As SFTP requests are bounded by env.sftpTimeout, so is a script that moves nothing either way for that long (a
  // frozen or mute host): without it the operation would wait forever.
  const timeoutS = (env.sftpTimeout as number | undefined) ?? DEFAULTS.sftpTimeout;
  let expire!: (code: null) => void;
  const expired = new Promise<null>((resolve) => (expire = resolve));
  let timedOut = false;
  const idle = new IdleTimer(timeoutS * 1000, () => {
    timedOut = true;
    channel.close();
    channel.destroy();
    expire(null);
  });
  watchTraffic(channel, () => idle.touch());
  idle.touch();
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
  const feeding = options.feed ? options.feed(channel) : Promise.resolve(void channel.end());
  const finished = Promise.all([done, reading, feeding]).then(([status]) => status);
  finished.catch(() => {}); // after a time-out, what the destroyed channel's pipes say is not news
  let code: number | null;
  try {
    code = await Promise.race([finished, expired]);
  } catch (error) {
    if (!timedOut) throw error;
    code = null;
  } finally {
    idle.stop();
  }
  if (timedOut) return { code: null, stdout: Buffer.alloc(0), stderr: `the host did not answer within ${timeoutS}s (env.sftpTimeout)` };
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
