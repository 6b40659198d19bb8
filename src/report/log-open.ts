import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, realpathSync, statSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { ownerText, trustedUids } from '../util/trust.ts';

// --log-dir's directory and files, opened so that no other user can redirect what fab writes (issue 12).

const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_WRONLY } = constants;

/**
 * The log directory, created 0700 if missing, as a path with no symbolic link in it. Refused when another user owns
 * it or group or others may write to it: they could put a link or a file of theirs where a log goes, or swap the logs.
 */
export function logDirectory(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const real = realpathSync(dir);
  const uids = trustedUids();
  if (!uids) return real;
  const st = statSync(real);
  if (!st.isDirectory()) throw new UsageError(`--log-dir ${dir}: not a directory`);
  if (!uids.has(st.uid)) throw new UsageError(`--log-dir ${dir}: owned by ${ownerText(st.uid)}, not by you or root; give a directory of your own`);
  if ((st.mode & 0o022) !== 0) {
    throw new UsageError(`--log-dir ${dir}: writable by other users (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); give a directory only you can write to`);
  }
  return real;
}

/**
 * Opens a log to append to without following a symbolic link: a new file is created 0600; an existing one must be
 * a plain file of a trusted user with no other name (not a hard link to someone's file), and is made 0600 only
 * when it is this user's.
 */
export function openLog(file: string): number {
  try {
    return openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let fd: number;
  try {
    fd = openSync(file, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new UsageError(`--log-dir: ${file} is a symbolic link; fab writes no log through one: remove it`);
    throw error;
  }
  const st = fstatSync(fd);
  const uids = trustedUids();
  const refuse = (why: string): never => {
    closeSync(fd);
    throw new UsageError(`--log-dir: ${file} ${why}; fab does not append to it: remove it`);
  };
  if (!st.isFile()) refuse('is not a regular file');
  if (uids && !uids.has(st.uid)) refuse(`is owned by ${ownerText(st.uid)}`);
  if (st.nlink !== 1) refuse('has other hard links');
  if (st.uid === process.geteuid?.()) fchmodSync(fd, 0o600); // an existing file keeps whatever mode it had otherwise
  return fd;
}
