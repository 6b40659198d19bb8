import { realpathSync, statSync, type Stats } from 'node:fs';
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
