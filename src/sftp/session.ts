import type { Attributes, FileEntryWithStats, InputAttributes, OpenMode, SFTPWrapper, Stats } from 'ssh2';
import { BufferPool, REQUESTS_IN_FLIGHT } from './buffer-pool.ts';
import { RequestDeadlines } from './deadlines.ts';
import { canWriteInPlace, reassembleDataInto, writeHeadroom, writeRequest } from './fast-path.ts';

/** The pooled connection, as far as the SFTP session needs it (ssh/pool.ts). */
export interface SftpChannels {
  sftp(): Promise<SFTPWrapper>;
  sftpIdle(): void;
  sftpUser: { idle(): boolean; retired(channel: SFTPWrapper): void } | undefined;
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02), as ssh2 puts them on an error's `code`. */
export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/** A request the server refused, with the operation and the path it was about. */
export class SftpError extends Error {
  override name = 'SftpError';
  constructor(
    readonly op: string,
    readonly path: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }

  get notFound(): boolean {
    return this.status === SFTP_STATUS.NO_SUCH_FILE;
  }

  get denied(): boolean {
    return this.status === SFTP_STATUS.PERMISSION_DENIED;
  }
}

/** What ssh2 uses when the server states no limits: OpenSSH's 256 KiB packet minus header room, else 32 KiB. */
const FALLBACK_CHUNK = 32 * 1024;

interface Limits {
  _maxReadLen?: number;
  _maxWriteLen?: number;
  _extensions?: Record<string, string>;
}

/** A listing refused as a whole: a name that is not a file name, or more entries than `maxListing`. */
export class ListingRefused extends SftpError {
  override name = 'ListingRefused';
}

/** One entry of a listing: ssh2's `longname` (ls -l text) is dropped, a third of the memory of a big listing. */
export interface DirEntry {
  filename: string;
  attrs: Stats;
}

/** Why a name from a server's listing cannot be used as one path component, or undefined when it can. */
export function badListedName(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'is not a file name';
  if (name.includes('/')) return 'is not a file name (it holds a "/")';
  if (name.includes('\0')) return 'is not a file name (it holds a NUL)';
  return undefined;
}

/**
 * Promise-shaped SFTP requests over ssh2's session, every failure an SftpError naming the path.
 * Chunk sizes come from the server's `limits@openssh.com` reply, which ssh2 requests as the session
 * opens and keeps in (undocumented) fields: there is no public accessor in ssh2 1.17.
 */
export class SftpSession {
  private static readonly sessions = new WeakMap<SFTPWrapper, SftpSession>();
  private homeDir: Promise<string> | undefined;
  readonly readChunk: number;
  readonly writeChunk: number;
  /** Request buffers of this session's transfers (see pipeline.ts). */
  readonly buffers = new BufferPool(2 * REQUESTS_IN_FLIGHT);
  /** Whether WRITE requests are framed in the caller's buffer (fast-path.ts) rather than copied by ssh2. */
  readonly writesInPlace: boolean;
  /** Entries a listing (one directory, or one tree walk) may have; set from env.maxListing by the operations. */
  maxListing = 100_000;
  /** Every request's deadline (env.sftpTimeout, see deadlines.ts); past it the session is lost and ended. */
  private readonly deadlines = new RequestDeadlines(() => {
    this.lost = true;
    this.sftp.end();
  });

  /**
   * The session on an SFTP channel. With `channels` (the pooled connection), it lends the channel's slot to
   * other channels while idle (a server allowing one session at a time) and reopens it for its next request.
   */
  static for(sftp: SFTPWrapper, channels?: SftpChannels): SftpSession {
    let session = SftpSession.sessions.get(sftp);
    if (!session) SftpSession.sessions.set(sftp, (session = new SftpSession(sftp, channels)));
    return session;
  }

  private constructor(
    private sftp: SFTPWrapper,
    private readonly channels?: SftpChannels,
  ) {
    const limits = sftp as unknown as Limits;
    this.readChunk = positive(limits._maxReadLen) ?? FALLBACK_CHUNK;
    this.writeChunk = positive(limits._maxWriteLen) ?? FALLBACK_CHUNK;
    this.writesInPlace = canWriteInPlace(sftp);
    this.attach(sftp);
    if (channels) channels.sftpUser = this;
  }

  private attach(sftp: SFTPWrapper): void {
    this.sftp = sftp;
    reassembleDataInto(sftp);
    const lost = () => {
      if (this.sftp === sftp && !this.stale) this.lost = true;
    };
    sftp.once('end', lost);
    sftp.once('close', lost);
  }

  /** Requests in flight and files open: while either is non-zero the channel must stay. */
  private pending = 0;
  private readonly openHandles = new Set<Buffer>();
  /** Set once the pool has closed the idle channel: the next request opens a new one first. */
  private stale = false;
  private reopening: Promise<void> | undefined;

  idle(): boolean {
    return this.pending === 0 && this.openHandles.size === 0 && !this.lost;
  }

  retired(channel: SFTPWrapper): void {
    if (channel === this.sftp && this.channels) this.stale = true;
  }

  /** A new channel in place of the one the pool closed while idle (opened only when a request needs it). */
  private reopen(): Promise<void> {
    const channels = this.channels!;
    this.reopening ??= channels.sftp().then(
      (sftp) => {
        SftpSession.sessions.set(sftp, this);
        channels.sftpUser = this;
        this.stale = false;
        this.reopening = undefined;
        this.attach(sftp);
      },
      (error: unknown) => {
        this.reopening = undefined;
        throw error;
      },
    );
    return this.reopening;
  }

  /**
   * Set when the session ended (the connection dropped, or the server closed it). ssh2 would take a request
   * after that and never answer it: a transfer cleaning up after the drop (close, unlink) would wait forever.
   */
  private lost = false;

  /** How long a request may go unanswered (env.sftpTimeout), in ms. */
  set requestTimeoutMs(ms: number) {
    this.deadlines.timeoutMs = ms;
  }

  /** The SFTP channel requests go to now. */
  get channel(): SFTPWrapper {
    return this.sftp;
  }

  /** Whether the session can no longer be used (the connection dropped, or a request went past its deadline). */
  get isLost(): boolean {
    return this.lost;
  }

  /** Whether the server offered an extension (e.g. `posix-rename@openssh.com`). */
  has(extension: string): boolean {
    return (this.sftp as unknown as Limits)._extensions?.[extension] !== undefined;
  }

  private call<T>(op: string, path: string, start: (done: (error: (Error & { code?: unknown }) | null | undefined, value?: T) => void) => void): Promise<T> {
    if (this.stale) {
      return this.reopen().then(
        () => this.call(op, path, start),
        (error: Error) => Promise.reject(new SftpError(op, path, SFTP_STATUS.NO_CONNECTION, error.message)),
      );
    }
    return new Promise<T>((resolve, reject) => {
      if (this.lost) return reject(new SftpError(op, path, SFTP_STATUS.CONNECTION_LOST, 'the connection was lost'));
      const answered = this.deadlines.add((why) => reject(new SftpError(op, path, undefined, why)));
      const done = (error: (Error & { code?: unknown }) | null | undefined, value?: T) => {
        answered();
        if (--this.pending === 0 && this.openHandles.size === 0) this.channels?.sftpIdle();
        if (!error) return resolve(value as T);
        reject(new SftpError(op, path, typeof error.code === 'number' ? error.code : undefined, error.message));
      };
      this.pending++;
      try {
        start(done);
      } catch (error) {
        done(error as Error);
      }
    });
  }

  open(path: string, flags: OpenMode, attrs?: InputAttributes): Promise<Buffer> {
    return this.call<Buffer>('open', path, (done) => {
      // Counted before `done` runs: the request's end must not look idle with the file open.
      const opened = (error: Error | null | undefined, handle?: Buffer) => {
        if (!error && handle) this.openHandles.add(handle);
        done(error, handle);
      };
      if (attrs) this.sftp.open(path, flags, attrs, opened);
      else this.sftp.open(path, flags, opened);
    });
  }

  close(handle: Buffer, path: string): Promise<void> {
    return this.call('close', path, (done) => {
      this.openHandles.delete(handle);
      this.sftp.close(handle, done);
    });
  }

  /** Reads into buffer[offset...]; resolves the bytes read, 0 at end of file. */
  read(handle: Buffer, path: string, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.call('read', path, (done) => this.sftp.read(handle, buffer, offset, length, position, (error, bytes) => done(error, bytes)));
  }

  /** Sends a WRITE; ssh2 copies the data into the request before this returns, so the caller may reuse its buffer. */
  write(handle: Buffer, path: string, buffer: Buffer, offset: number, length: number, position: number): Promise<void> {
    return this.call('write', path, (done) => this.sftp.write(handle, buffer, offset, length, position, (error) => done(error)));
  }

  /** Bytes free for a non-root user on the file system holding an open file; undefined when the server cannot tell. */
  async freeBytes(handle: Buffer, path: string): Promise<number | undefined> {
    if (this.sftp.ext_openssh_fstatvfs === undefined || !this.has('fstatvfs@openssh.com')) return undefined;
    const info = await this.call<{ f_frsize: number | bigint; f_bavail: number | bigint }>('fstatvfs', path, (done) => this.sftp.ext_openssh_fstatvfs(handle, done));
    return Number(info.f_bavail) * Number(info.f_frsize);
  }

  /** Bytes writeFrom() needs free ahead of the data in its buffer. */
  writeHeadroom(handle: Buffer): number {
    return this.writesInPlace ? writeHeadroom(handle) : 0;
  }

  /**
   * Sends a WRITE of buffer[headroom, headroom + length), headroom being writeHeadroom(handle): the request
   * may be framed in place, so the buffer (its head included) must stay untouched until this resolves.
   */
  writeFrom(handle: Buffer, path: string, buffer: Buffer, headroom: number, length: number, position: number): Promise<void> {
    if (!this.writesInPlace) return this.write(handle, path, buffer, headroom, length, position);
    const start = headroom - writeHeadroom(handle);
    return this.call('write', path, (done) => writeRequest(this.sftp, handle, buffer.subarray(start), length, position, (error) => done(error)));
  }

  fstat(handle: Buffer, path: string): Promise<Stats> {
    return this.call('fstat', path, (done) => this.sftp.fstat(handle, done));
  }

  fsetstat(handle: Buffer, path: string, attrs: InputAttributes): Promise<void> {
    return this.call('setstat', path, (done) => this.sftp.fsetstat(handle, attrs, done));
  }

  stat(path: string): Promise<Stats> {
    return this.call('stat', path, (done) => this.sftp.stat(path, done));
  }

  lstat(path: string): Promise<Stats> {
    return this.call('lstat', path, (done) => this.sftp.lstat(path, done));
  }

  setstat(path: string, attrs: InputAttributes): Promise<void> {
    return this.call('setstat', path, (done) => this.sftp.setstat(path, attrs, done));
  }

  /** stat, or undefined when nothing is there. */
  statOrNone(path: string, follow = true): Promise<Stats | undefined> {
    return orNone(follow ? this.stat(path) : this.lstat(path));
  }

  /**
   * A directory's entries, `.` and `..` left out, read batch by batch (each READDIR answer is one request with its
   * own deadline). A name that is not one path component (`../x`, `a/b`) refuses the whole listing, as does an
   * entry past `maxListing`: what a server lists is never trusted as a path, nor allowed to fill fab's memory.
   */
  async readdir(path: string): Promise<DirEntry[]> {
    const handle = await this.call<Buffer>('opendir', path, (done) => this.sftp.opendir(path, done));
    const entries: DirEntry[] = [];
    try {
      for (;;) {
        const batch = await this.call<FileEntryWithStats[] | undefined>('readdir', path, (done) =>
          this.sftp.readdir(handle, (error, list) => (error && (error as { code?: unknown }).code === SFTP_STATUS.EOF ? done(undefined, undefined) : done(error, list as FileEntryWithStats[]))),
        );
        if (batch === undefined) return entries;
        for (const { filename, attrs } of batch) {
          if (filename === '.' || filename === '..') continue;
          const problem = badListedName(filename);
          if (problem) throw new ListingRefused('readdir', path, undefined, `the server listed ${JSON.stringify(filename)}, which ${problem}; refusing the listing`);
          if (entries.length >= this.maxListing) throw tooMany(path, this.maxListing);
          entries.push({ filename, attrs });
        }
      }
    } finally {
      await this.close(handle, path).catch(() => {});
    }
  }

  mkdir(path: string, mode?: number): Promise<void> {
    return this.call('mkdir', path, (done) => (mode === undefined ? this.sftp.mkdir(path, done) : this.sftp.mkdir(path, { mode }, done)));
  }

  rmdir(path: string): Promise<void> {
    return this.call('rmdir', path, (done) => this.sftp.rmdir(path, done));
  }

  unlink(path: string): Promise<void> {
    return this.call('remove', path, (done) => this.sftp.unlink(path, done));
  }

  /** Renames, replacing an existing target atomically when the server has posix-rename (OpenSSH does). */
  async rename(from: string, to: string): Promise<void> {
    if (this.has('posix-rename@openssh.com')) {
      return this.call('rename', to, (done) => this.sftp.ext_openssh_rename(from, to, done));
    }
    // Plain SFTP v3 rename refuses an existing target: move it aside, rename, then drop it.
    const existing = await this.statOrNone(to, false);
    if (!existing) return this.call('rename', to, (done) => this.sftp.rename(from, to, done));
    const aside = `${to}.fabts-old-${process.pid}-${Date.now()}`;
    await this.call('rename', to, (done) => this.sftp.rename(to, aside, done));
    try {
      await this.call('rename', to, (done) => this.sftp.rename(from, to, done));
    } catch (error) {
      await this.call('rename', to, (done) => this.sftp.rename(aside, to, done)).catch(() => {});
      throw error;
    }
    await this.unlink(aside).catch(() => {});
  }

  realpath(path: string): Promise<string> {
    return this.call('realpath', path, (done) => this.sftp.realpath(path, done));
  }

  readlink(path: string): Promise<string> {
    return this.call('readlink', path, (done) => this.sftp.readlink(path, done));
  }

  /** The login user's home: where the SFTP server starts (OpenSSH: always the home directory). */
  home(): Promise<string> {
    this.homeDir ??= this.realpath('.');
    this.homeDir.catch(() => (this.homeDir = undefined));
    return this.homeDir;
  }

  /** `~user/...` through `expand-path@openssh.com`, when the server has it. */
  expandPath(path: string): Promise<string> | undefined {
    if (!this.has('expand-path@openssh.com')) return undefined;
    return this.call('expand-path', path, (done) => this.sftp.ext_openssh_expandPath(path, done));
  }
}

/**
 * What file operations ask of a session beyond reading and writing file contents: an SFTP session, or (a server
 * without SFTP) ops/file-access/exec-fs.ts's scripts on exec channels.
 */
export type FileQueries = Pick<SftpSession, 'stat' | 'lstat' | 'statOrNone' | 'readdir' | 'realpath' | 'home' | 'expandPath' | 'mkdir' | 'rmdir' | 'unlink' | 'rename' | 'setstat' | 'maxListing' | 'isLost'>;

/** The error for a listing past env.maxListing. */
/** What a stat gives, or undefined when nothing is there (other failures stand). */
export async function orNone(lookup: Promise<Stats>): Promise<Stats | undefined> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof SftpError && error.notFound) return undefined;
    throw error;
  }
}

export function tooMany(path: string, max: number): ListingRefused {
  return new ListingRefused('readdir', path, undefined, `lists more than ${max} entries; raise env.maxListing to allow more`);
}

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Permission bits (and setuid/setgid/sticky) of a mode. */
export function permissionBits(attrs: Pick<Attributes, 'mode'>): number {
  return attrs.mode & 0o7777;
}
