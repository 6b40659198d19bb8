import { rmSync } from 'node:fs';
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { registerCleanup } from '../util/cleanup.ts';
import { readAll, type ByteSink, type PipelineOptions } from './pipeline.ts';
import { SftpError, type SftpSession } from './session.ts';
import { tempNameBeside } from './temp-names.ts';

async function writeFully(file: FileHandle, data: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await file.write(data, done, length - done, position + done);
    done += bytesWritten;
  }
}

/** Opens a remote file for reading and learns its size; the caller closes the handle. */
async function openForReading(session: SftpSession, path: string): Promise<{ handle: Buffer; size: number; mode: number }> {
  const handle = await session.open(path, 'r');
  try {
    const stats = await session.fstat(handle, path);
    if (stats.isDirectory()) throw new SftpError('read', path, undefined, 'is a directory');
    return { handle, size: stats.size, mode: stats.mode & 0o777 };
  } catch (error) {
    await session.close(handle, path).catch(() => {});
    throw error;
  }
}

export interface AtomicDownloadOptions extends PipelineOptions {
  /** Permission bits of the local file; default: the remote file's (rwx bits only). */
  mode?: number;
}

/**
 * Downloads to a temporary name beside the local target, checks the size, then renames it into place:
 * an interrupted or failed download leaves the previous local file untouched and no partial file behind.
 */
export async function downloadAtomically(session: SftpSession, remote: string, local: string, options: AtomicDownloadOptions = {}): Promise<{ bytes: number; mode: number }> {
  const { handle, size, mode: remoteMode } = await openForReading(session, remote);
  const temp = tempNameBeside(local, '.part');
  const cancel = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, cancel.signal]) : cancel.signal;
  const mode = options.mode ?? remoteMode;
  let file: FileHandle | undefined;
  // Synchronous on purpose: it may run from an exit path.
  const unregister = registerCleanup(() => {
    cancel.abort(new Error('interrupted'));
    rmSync(temp, { force: true });
  });
  try {
    await mkdir(dirname(local), { recursive: true });
    file = await open(temp, 'wx', 0o600);
    const target = file;
    const sink: ByteSink = { write: (data, length, position) => writeFully(target, data, length, position) };
    const bytes = await readAll(session, handle, remote, size, sink, { ...options, signal });
    if (bytes !== size) throw new SftpError('read', remote, undefined, `got ${bytes} bytes of ${size}`);
    await file.chmod(mode);
    await file.close();
    file = undefined;
    await rename(temp, local);
    return { bytes, mode };
  } catch (error) {
    await file?.close().catch(() => {});
    rmSync(temp, { force: true });
    // Errors name the destination, not the temp name the user never asked for.
    if ((error as NodeJS.ErrnoException).path === temp) (error as NodeJS.ErrnoException).path = local;
    throw error;
  } finally {
    unregister();
    await session.close(handle, remote).catch(() => {});
  }
}

/** A whole remote file in memory (readFile, contains, append). */
export async function readWhole(session: SftpSession, path: string, options: PipelineOptions = {}): Promise<Buffer> {
  const { handle, size } = await openForReading(session, path);
  try {
    const data = Buffer.allocUnsafe(size);
    const sink: ByteSink = {
      write: async (chunk, length, position) => {
        chunk.copy(data, position, 0, length);
      },
    };
    const bytes = await readAll(session, handle, path, size, sink, options);
    return data.subarray(0, bytes);
  } finally {
    await session.close(handle, path).catch(() => {});
  }
}
