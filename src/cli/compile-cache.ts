import { hash, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import Module from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { Script } from 'node:vm';
import { privateDirectory } from '../util/trust.ts';
import { restoreV8Flags, v8FlagState } from '../util/v8-flags.ts';

/**
 * V8's code cache for the CommonJS modules a `fab` loads from node_modules (ssh2 and its dependencies, most of
 * cosmiconfig): what Node.js 22 does with `module.enableCompileCache()`, which Node.js 20 lacks. Compiling ssh2
 * and its dependencies (~640 KB) is ~13 ms of every run that connects; from the cache, the functions a run used
 * come back compiled. Measured on 2 cores, interleaved runs: `true` on 10 hosts, 5-7% less of fab's CPU.
 *
 * Entries live in $XDG_CACHE_HOME/fabts/v8-<V8 version>-<arch>/ (else ~/.cache/...), one file per module, named by
 * a SHA-256 of its key: the format, V8's version and arch, the V8 flags fabts had set (V8 refuses data made under
 * other flags), the module's path and its exact text. An entry is that SHA-256 again, a SHA-256 of the data, then
 * the data: V8 itself checks only the source's length (data compiled from other code of the same length would run
 * in its place) and the data's header (damaged data past it would crash the process), so both hashes are checked
 * first. Entries are written when the process exits, whole (a new temporary file, then rename), with the flags put
 * back as they were when the module was compiled.
 *
 * Code read from the cache runs as this user, so no other user may have touched it: every directory from / down
 * to the cache must be this user's or root's and not writable by group or others (unless sticky, as /tmp), and the
 * directories fab creates and the cache itself this user's (so a home another user owns, as under `sudo -E fab`,
 * has no cache). The check runs once, on the real path, which is used from then on: nobody else can change what
 * it names. Each entry is opened without following a link and must be a plain file of this user's.
 *
 * Left to Node.js as usual: modules outside node_modules (the fabfile), modules that may call import() (a
 * vm.Script has no import() of its own in Node.js 20), ES modules, and modules with a source map while source
 * maps are on. FABTS_COMPILE_CACHE=0 turns the cache off; so does any error reaching the directory.
 */

const IN_NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const DYNAMIC_IMPORT = /\bimport\s*\(/;
const SOURCE_MAP = /^[#@]\s*sourceMappingURL=/m;
const HASH_BYTES = 32;
const FORMAT = 'fabts-compile-cache 2';
const { O_NOFOLLOW, O_RDONLY } = constants;

interface Pending {
  file: string;
  key: Buffer;
  script: Script;
  flags: string;
}

interface ModuleInternals {
  exports: unknown;
  require(id: string): unknown;
  _compile(content: string, filename: string, ...rest: unknown[]): unknown;
}
type ModuleStatics = typeof Module & {
  wrap(content: string): string;
  wrapper: readonly string[];
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: unknown): string[] | null;
  _extensions: unknown;
  _cache: unknown;
};

/** The cache directory for this V8; undefined when there is no home to put it in. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  if (!base) {
    try {
      base = path.join(homedir(), '.cache');
    } catch {
      return undefined;
    }
  }
  return path.join(base, 'fabts', `v8-${process.versions.v8}-${process.arch}`);
}

export interface CompileCacheStats {
  /** Modules whose compiled code came from the cache. */
  hits: number;
  /** Modules compiled from source (no entry, or a refused one). */
  misses: number;
}

/**
 * Installs the cache for CommonJS modules loaded from now on. Returns counters (for tests), or undefined when the
 * cache is off.
 */
export function enableCompileCache(options: { dir?: string; env?: NodeJS.ProcessEnv } = {}): CompileCacheStats | undefined {
  const env = options.env ?? process.env;
  if (env.FABTS_COMPILE_CACHE === '0') return undefined;
  const wanted = options.dir ?? defaultCacheDir(env);
  const dir = wanted === undefined ? undefined : privateDirectory(wanted);
  if (!dir) return undefined;

  const statics = Module as ModuleStatics;
  const proto = Module.prototype as unknown as ModuleInternals;
  const original = proto._compile;
  const stats: CompileCacheStats = { hits: 0, misses: 0 };
  const pending: Pending[] = [];
  // Module.wrap() puts its opening on the module's first line: columns there are shifted back by its length.
  const columnOffset = -statics.wrapper[0]!.length;

  proto._compile = function compileWithCache(this: ModuleInternals, content: string, filename: string, ...rest: unknown[]): unknown {
    const format = rest[0];
    if (
      (format !== undefined && format !== 'commonjs') ||
      !filename.includes(IN_NODE_MODULES) ||
      DYNAMIC_IMPORT.test(content) ||
      (process.sourceMapsEnabled && SOURCE_MAP.test(content))
    ) {
      return original.call(this, content, filename, ...rest);
    }
    const flags = v8FlagState();
    const key = hash('sha256', `${FORMAT}\0${process.versions.v8}\0${process.arch}\0${flags}\0${filename}\0${content}`, 'buffer');
    const file = path.join(dir, `${key.toString('hex')}.bin`);
    const cachedData = readEntry(file, key);
    let script: Script;
    try {
      script = new Script(statics.wrap(content), { filename, columnOffset, cachedData });
    } catch {
      // What vm cannot compile as a CommonJS wrapper goes the usual way, errors included.
      return original.call(this, content, filename, ...rest);
    }
    if (cachedData && !script.cachedDataRejected) stats.hits++;
    else {
      stats.misses++;
      pending.push({ file, key, script, flags });
    }
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, requireFor(this, statics), this, filename, path.dirname(filename));
  };

  process.once('exit', () => writeEntries(dir, pending));
  return stats;
}

/** An entry's data once it proves to be made from this key and whole; undefined when missing, foreign or damaged. */
function readEntry(file: string, key: Buffer): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, O_RDONLY | O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const euid = process.geteuid?.();
    if (!st.isFile() || (euid !== undefined && st.uid !== euid) || (st.mode & 0o022) !== 0 || st.size <= 2 * HASH_BYTES) return undefined;
    const entry = Buffer.allocUnsafe(st.size);
    let read = 0;
    while (read < entry.length) {
      const got = readSync(fd, entry, read, entry.length - read, read);
      if (got === 0) return undefined;
      read += got;
    }
    const data = entry.subarray(2 * HASH_BYTES);
    if (!entry.subarray(0, HASH_BYTES).equals(key)) return undefined;
    return hash('sha256', data, 'buffer').equals(entry.subarray(HASH_BYTES, 2 * HASH_BYTES)) ? data : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function writeEntries(dir: string, pending: readonly Pending[]): void {
  const byFlags = new Map<string, Pending[]>();
  for (const p of pending) {
    const group = byFlags.get(p.flags);
    if (group) group.push(p);
    else byFlags.set(p.flags, [p]);
  }
  for (const [flags, group] of byFlags) {
    // V8 stamps the data with the flags of the moment: those the modules were compiled under, if they can be
    // put back (the optimizing compiler is on again after 10 s, for one).
    if (!restoreV8Flags(flags)) continue;
    for (const { file, key, script } of group) {
      const data = script.createCachedData();
      const temp = path.join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
      let fd: number | undefined;
      try {
        fd = openSync(temp, 'wx', 0o600);
        writeSync(fd, Buffer.concat([key, hash('sha256', data, 'buffer'), data]));
        closeSync(fd);
        fd = undefined;
        renameSync(temp, file);
      } catch {
        // A full disk or a directory gone: the cache is only ever an optimization.
        if (fd !== undefined) closeSync(fd);
        rmSync(temp, { force: true });
        return;
      }
    }
  }
}

/** The `require` a module's wrapper receives, as Node.js makes it (resolution relative to that module). */
function requireFor(mod: ModuleInternals, statics: ModuleStatics): NodeJS.Require {
  const require = ((id: string) => mod.require(id)) as NodeJS.Require;
  require.resolve = Object.assign((request: string, options?: { paths?: string[] }) => statics._resolveFilename(request, mod, false, options), {
    paths: (request: string) => statics._resolveLookupPaths(request, mod),
  });
  require.main = process.mainModule;
  require.extensions = statics._extensions as NodeJS.Require['extensions'];
  require.cache = statics._cache as NodeJS.Require['cache'];
  return require;
}
