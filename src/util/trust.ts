import { lstatSync, mkdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { nameOfUser } from '../hosts/tokens.ts';

/**
 * Who may have written the files fab runs or writes through, as git's safe.directory check decides: this user,
 * root, and, when fab runs as root under sudo, the user who ran sudo (SUDO_UID: that user is trusted with root
 * already). Undefined where there are no uids (Windows): nothing is checked there.
 */
export function trustedUids(env: NodeJS.ProcessEnv = process.env): ReadonlySet<number> | undefined {
  const euid = process.geteuid?.();
  if (euid === undefined) return undefined;
  const uids = new Set([euid, 0]);
  if (euid === 0 && /^\d+$/.test(env.SUDO_UID ?? '')) uids.add(Number(env.SUDO_UID));
  return uids;
}

/** `nobody (uid 65534)`, or `uid 1234` when the password database has no name for it. */
export function ownerText(uid: number): string {
  const name = nameOfUser(uid);
  return name === undefined ? `uid ${uid}` : `${name} (uid ${uid})`;
}

/** Whether any user may add, remove or rename entries of a directory (world-writable without the sticky bit). */
export function openToEveryone(st: Stats): boolean {
  return (st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0;
}

/**
 * Refuses (UsageError, exit 2) a file found by a search rather than named by the user: one owned by another user,
 * or in a directory another user owns or any user may write to (they could replace it). `also` are more paths
 * whose replacement would swap the file (the `fabfile/` directory of `fabfile/index.ts`). `explicitFlag` is how
 * the user names the file to trust it anyway. A file that is gone is left to the loader to report.
 */
export function refuseUntrusted(file: string, explicitFlag: string, also: readonly string[] = []): void {
  const uids = trustedUids();
  if (!uids) return;
  const refuse = (why: string): never => {
    throw new UsageError(`refusing to load ${file}: ${why}; check it, then name it with ${explicitFlag} to trust it`, 'UNTRUSTED_FILE');
  };
  for (const named of [file, ...also]) {
    let real: string;
    try {
      real = realpathSync(named);
    } catch {
      return;
    }
    const st = statSync(real);
    if (!uids.has(st.uid)) refuse(`${named === file ? 'it' : named} is owned by ${ownerText(st.uid)}, not by you or root`);
    for (const dir of new Set([path.dirname(path.resolve(named)), path.dirname(real)])) {
      const dirStat = statSync(dir);
      if (!uids.has(dirStat.uid)) refuse(`its directory ${dir} is owned by ${ownerText(dirStat.uid)}, not by you or root`);
      if (openToEveryone(dirStat)) refuse(`its directory ${dir} is writable by every user (no sticky bit)`);
    }
  }
}

/**
 * A directory as a real path, created (0700) if missing, when no user but this one and root can have written
 * anything on the way to it: every directory from / down is this user's or root's and not writable by group or
 * others unless sticky (as /tmp), and the directory and those created for it are this user's and writable by no one
 * else. Undefined otherwise, or on any error. Nothing is created before the part that exists has been found safe,
 * so fab run as root leaves no directory of its own in another user's home. Only this user and root can change
 * what the returned path names. (The compile cache: what is read from there runs as this user.)
 */
export function privateDirectory(dir: string): string | undefined {
  const euid = process.geteuid?.();
  try {
    if (euid === undefined) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    }
    let existing = path.resolve(dir);
    const missing: string[] = [];
    while (!exists(existing)) {
      missing.unshift(path.basename(existing));
      existing = path.dirname(existing);
    }
    let real = realpathSync(existing);
    for (let at = real; ; at = path.dirname(at)) {
      const st = lstatSync(at);
      if (!st.isDirectory() || (st.uid !== euid && st.uid !== 0) || ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)) return undefined;
      if (path.dirname(at) === at) break;
    }
    for (const name of missing) {
      real = path.join(real, name);
      try {
        mkdirSync(real, { mode: 0o700 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
      }
    }
    // The cache itself, and whatever fab created (or found created meanwhile) on the way: this user's alone.
    for (let at = real, left = missing.length || 1; left > 0; at = path.dirname(at), left--) {
      const st = lstatSync(at);
      if (!st.isDirectory() || st.uid !== euid || (st.mode & 0o022) !== 0) return undefined;
    }
    return real;
  } catch {
    return undefined;
  }
}

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
