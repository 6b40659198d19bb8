// The remote file system without SFTP (Dropbear without sftp-server, sshd_config without a `Subsystem sftp` line):
// the queries and changes of an SFTP session, each a small POSIX sh script on an exec channel, using only what
// busybox has too (test, stat -c, cat, mkdir, rm, mv -T, readlink -f). Paths given here are absolute (resolved by
// resolveRemotePath); they reach the shell through quote() only. What the host prints back is untrusted: listings
// come NUL-separated from the shell's own globs (never from ls), and every name is checked as an SFTP listing's is.
import type { InputAttributes, Stats } from 'ssh2';
import { type DirEntry, type FileQueries, ListingRefused, SFTP_STATUS, SftpError, badListedName, orNone, tooMany } from '../../sftp/session.ts';
import { DENIED, NO_SUCH_FILE, TOO_MANY, execScript, scriptError } from './exec-script.ts';
import { quote } from '../quoting/quote.ts';

/** Fails with NO_SUCH_FILE when nothing (not even a dangling link) is at "$p". */
const NEED = `[ -e "$p" ] || [ -L "$p" ] || exit ${NO_SUCH_FILE}`;
/** stat's fields for statsFrom: raw mode (hex), size, uid, gid, atime, mtime. */
const FIELDS = `'%f %s %u %g %X %Y'`;

/** ssh2-shaped Stats from one line of FIELDS. */
function statsFrom(line: string, op: string, path: string): Stats {
  const fields = line.trim().split(' ');
  const [mode, size, uid, gid, atime, mtime] = [parseInt(fields[0] ?? '', 16), ...fields.slice(1).map(Number)] as number[];
  if (fields.length !== 6 || [mode, size, uid, gid, atime, mtime].some((value) => !Number.isFinite(value))) {
    throw new SftpError(op, path, SFTP_STATUS.BAD_MESSAGE, `the host's stat printed ${JSON.stringify(line.slice(0, 80))}, not the fields asked for`);
  }
  const type = mode! & 0o170000;
  return {
    mode: mode!,
    size: size!,
    uid: uid!,
    gid: gid!,
    atime: atime!,
    mtime: mtime!,
    isFile: () => type === 0o100000,
    isDirectory: () => type === 0o040000,
    isSymbolicLink: () => type === 0o120000,
    isBlockDevice: () => type === 0o060000,
    isCharacterDevice: () => type === 0o020000,
    isFIFO: () => type === 0o010000,
    isSocket: () => type === 0o140000,
  } as Stats;
}

/**
 * The entries of a readdir script's output: `<stat fields>\0<name>\0` pairs. The host is not trusted: a name that
 * is not one path component (`/` inside, empty), a pair cut short, stat fields that are not numbers, or more than
 * `max` entries refuse the whole listing; `.` and `..` are skipped.
 */
export function parseListing(output: string, path: string, max: number): DirEntry[] {
  const fields = output.split('\0');
  if (fields.at(-1) === '') fields.pop();
  const entries: DirEntry[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const filename = fields[i + 1];
    if (filename === undefined) throw new ListingRefused('readdir', path, undefined, 'the host printed a listing cut short; refusing it');
    if (filename === '.' || filename === '..') continue;
    const problem = badListedName(filename);
    if (problem) throw new ListingRefused('readdir', path, undefined, `the server listed ${JSON.stringify(filename)}, which ${problem}; refusing the listing`);
    if (entries.length >= max) throw tooMany(path, max);
    entries.push({ filename, attrs: statsFrom(fields[i]!, 'readdir', path) });
  }
  return entries;
}

/** The queries of an SFTP session (FileQueries), answered by scripts on exec channels. */
export class ExecFiles implements FileQueries {
  maxListing = 100_000;
  readonly isLost = false;
  private homeDir: Promise<string> | undefined;

  constructor(readonly host: string) {}

  /** Runs a script with `p` set to the path; a failure is the SftpError it stands for. */
  async run(op: string, path: string, body: string, options: Parameters<typeof execScript>[2] = {}): Promise<Buffer> {
    const result = await execScript(this.host, `p=${quote(path)}\n${body}`, options);
    if (result.code !== 0 || result.overflow) throw scriptError(op, path, result, this.maxListing);
    return result.stdout;
  }

  private async text(op: string, path: string, body: string): Promise<string> {
    return (await this.run(op, path, body)).toString('utf8');
  }

  async stat(path: string): Promise<Stats> {
    return statsFrom(await this.text('stat', path, `[ -e "$p" ] || exit ${NO_SUCH_FILE}\nexec stat -L -c ${FIELDS} -- "$p"`), 'stat', path);
  }

  async lstat(path: string): Promise<Stats> {
    return statsFrom(await this.text('lstat', path, `${NEED}\nexec stat -c ${FIELDS} -- "$p"`), 'lstat', path);
  }

  statOrNone(path: string, follow = true): Promise<Stats | undefined> {
    return orNone(follow ? this.stat(path) : this.lstat(path));
  }

  /**
   * A directory's entries with their lstat, `.` and `..` left out: the shell's own globs list the names (dot files
   * too), each printed NUL-terminated after its stat line. A name that is not one path component refuses the
   * listing, as does an entry past maxListing (the script stops there too).
   */
  async readdir(path: string): Promise<DirEntry[]> {
    const max = this.maxListing;
    const script = [
      NEED,
      `[ -d "$p" ] || { echo 'not a directory' >&2; exit 1; }`,
      `cd -P -- "$p" 2>/dev/null && [ -r . ] || exit ${DENIED}`,
      'n=0',
      'for f in * .[!.]* ..?*; do',
      '  [ -e "$f" ] || [ -L "$f" ] || continue',
      `  n=$((n+1)); [ "$n" -le ${max} ] || exit ${TOO_MANY}`,
      `  s=$(stat -c ${FIELDS} -- "$f") || continue`,
      `  printf '%s\\0%s\\0' "$s" "$f"`,
      'done',
    ].join('\n');
    // A name is at most 255 bytes on Linux: a host printing far more than max entries' worth is refused.
    return parseListing((await this.run('readdir', path, script, { maxBytes: (max + 1) * 400 })).toString('utf8'), path, max);
  }

  async realpath(path: string): Promise<string> {
    const out = await this.text('realpath', path, `${NEED}\nr=$(readlink -f -- "$p") && printf '%s' "$r"`);
    if (!out.startsWith('/')) throw new SftpError('realpath', path, SFTP_STATUS.BAD_MESSAGE, 'the host gave no absolute path');
    return out;
  }

  home(): Promise<string> {
    this.homeDir ??= this.text('home', '~', `cd && r=$(pwd -P) && printf '%s' "$r"`);
    this.homeDir.catch(() => (this.homeDir = undefined));
    return this.homeDir;
  }

  /** `~user` through the shell's own tilde expansion (the name is checked to be a plain user name first). */
  expandPath(path: string): Promise<string> | undefined {
    const user = /^~([A-Za-z0-9_.][A-Za-z0-9_.-]*)$/.exec(path)?.[1];
    if (user === undefined) return undefined;
    return this.text('expand-path', path, `cd ~${user} && r=$(pwd -P) && printf '%s' "$r"`);
  }

  async mkdir(path: string, mode?: number): Promise<void> {
    // -m gives the mode as the directory is made: no moment with other bits, no chmod of a path someone could swap.
    await this.run('mkdir', path, mode === undefined ? 'mkdir -- "$p"' : `mkdir -m ${(mode & 0o7777).toString(8)} -- "$p"`);
  }

  async rmdir(path: string): Promise<void> {
    await this.run('rmdir', path, `${NEED}\nrmdir -- "$p"`);
  }

  async unlink(path: string): Promise<void> {
    await this.run('remove', path, `${NEED}\n[ ! -d "$p" ] || [ -L "$p" ] || { echo 'is a directory' >&2; exit 1; }\nrm -f -- "$p"`);
  }

  /** rename(2), replacing an existing target atomically (mv -T never moves into a directory at the target). */
  async rename(from: string, to: string): Promise<void> {
    await this.run('rename', from, `${NEED}\nmv -f -T -- "$p" ${quote(to)}`);
  }

  /** Only the mode: what fabts sets. */
  async setstat(path: string, attrs: InputAttributes): Promise<void> {
    if (attrs.mode === undefined) return;
    await this.run('setstat', path, `${NEED}\nchmod ${(Number(attrs.mode) & 0o7777).toString(8)} -- "$p"`);
  }

  /** A whole file (one not larger than `maxBytes`). */
  readWhole(path: string, maxBytes = 1024 ** 3): Promise<Buffer> {
    return this.run('open', path, `${NEED}\n[ ! -d "$p" ] || { echo 'is a directory' >&2; exit 1; }\nexec cat -- "$p"`, { maxBytes });
  }

  /** Adds bytes at the end of a file (made when missing), as `>>` does: O_APPEND. */
  async append(path: string, data: Buffer): Promise<void> {
    await this.run('open', path, `[ ! -d "$p" ] || { echo 'is a directory' >&2; exit 1; }\ncat >> "$p"`, { feed: async (channel) => void channel.end(data) });
  }

  /** Removes a file, a link or a whole tree (rm never follows a link). */
  async removeTree(path: string): Promise<void> {
    await this.run('remove', path, `${NEED}\nrm -rf -- "$p"`);
  }
}
