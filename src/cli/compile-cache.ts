import { hash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { Script } from 'node:vm';

/**
 * V8's code cache for the CommonJS modules a `fab` loads from node_modules (ssh2 and its dependencies, ssh-config,
 * yargs-parser...): what Node.js 22 does with `module.enableCompileCache()`, which Node.js 20 lacks. Compiling
 * ~640 KB of ssh2 and its dependencies is ~13 ms of every run that connects; from the cache, the functions a run
 * used last time (kept when that run ended) come back compiled. Measured on 2 cores, interleaved runs: `true` on
 * 10 hosts, -7% of fab's CPU.
 *
 * The cache lives in $XDG_CACHE_HOME/fabts/v8-<V8 version> (else ~/.cache/...), one file per module keyed by the
 * module's path and a hash of its text, so an upgraded package never meets a stale entry; V8 itself refuses data
 * from another V8 or other flags, and such a module is simply compiled again. Files are written whole (temporary
 * name, then rename), so concurrent `fab`s never read half an entry. Only dependencies are cached, never a fabfile.
 * Modules that call import() are left out (see DYNAMIC_IMPORT). FABTS_COMPILE_CACHE=0 turns it off; an unwritable
 * directory turns it off silently.
 */

const IN_NODE_MODULES = `${path.sep}node_modules${path.sep}`;
/**
 * A module that may call import() compiles the usual way: in Node.js 20 a vm.Script has no import() of its own
 * (USE_MAIN_CONTEXT_DEFAULT_LOADER is experimental, warns, and is lost when the code comes from cached data).
 * cosmiconfig is such a module; ssh2 and ssh-config are not.
 */
const DYNAMIC_IMPORT = /\bimport\s*\(/;

interface Pending {
  file: string;
  script: Script;
}

interface ModuleInternals {
  exports: unknown;
  require(id: string): unknown;
  _compile(content: string, filename: string): unknown;
}
type ModuleStatics = typeof Module & {
  wrap(content: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _extensions: unknown;
  _cache: unknown;
};

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(homedir(), '.cache');
  return path.join(base, 'fabts', `v8-${process.versions.v8}-${process.arch}`);
}

export interface CompileCacheStats {
  /** Modules whose compiled code came from the cache. */
  hits: number;
  /** Modules compiled from source (no entry, or V8 refused it). */
  misses: number;
}

/**
 * Installs the cache for CommonJS modules loaded from now on. Entries for the modules compiled from source are
 * written when the process exits. Returns counters (for tests and --debug), or undefined when turned off.
 */
export function enableCompileCache(dir = defaultCacheDir(), env: NodeJS.ProcessEnv = process.env): CompileCacheStats | undefined {
  if (env.FABTS_COMPILE_CACHE === '0') return undefined;
  const statics = Module as ModuleStatics;
  const proto = Module.prototype as unknown as ModuleInternals;
  const original = proto._compile;
  const stats: CompileCacheStats = { hits: 0, misses: 0 };
  const pending: Pending[] = [];

  proto._compile = function compileWithCache(this: ModuleInternals, content: string, filename: string): unknown {
    if (!filename.includes(IN_NODE_MODULES) || DYNAMIC_IMPORT.test(content)) return original.call(this, content, filename);
    const file = path.join(dir, `${hash('sha1', `${filename}\0${content}`)}.bin`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    let script: Script;
    try {
      script = new Script(statics.wrap(content), { filename, cachedData });
    } catch {
      // Whatever vm cannot compile as a CommonJS wrapper (an ES module in a .js file Node.js would detect ...)
      // goes the usual way, errors included.
      return original.call(this, content, filename);
    }
    if (cachedData && !script.cachedDataRejected) stats.hits++;
    else {
      stats.misses++;
      pending.push({ file, script });
    }
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, requireFor(this, filename, statics), this, filename, path.dirname(filename));
  };

  process.once('exit', () => {
    if (!pending.length) return;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const { file, script } of pending) {
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, file);
      }
    } catch {
      // A read-only home or a full disk: the cache is only ever an optimization.
    }
  });
  return stats;
}

/** The `require` a module's wrapper receives, as Node.js builds it (resolution relative to that module). */
function requireFor(mod: ModuleInternals, filename: string, statics: ModuleStatics): NodeJS.Require {
  const plain = createRequire(filename);
  const require = ((id: string) => mod.require(id)) as NodeJS.Require;
  require.resolve = Object.assign((request: string, options?: { paths?: string[] }) => statics._resolveFilename(request, mod, false, options), {
    paths: plain.resolve.paths,
  });
  require.main = plain.main;
  require.extensions = statics._extensions as NodeJS.Require['extensions'];
  require.cache = statics._cache as NodeJS.Require['cache'];
  return require;
}
