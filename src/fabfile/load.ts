import { readFileSync } from 'node:fs';
import Module, { createRequire, register as registerHooks } from 'node:module';
import { basename, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LoadError } from '../errors.ts';
import { envStore } from '../env/env.ts';
import { buildRegistry, type TaskRegistry } from './registry.ts';
import { docComments } from './docs.ts';

/** The running fab's own public module: what `import ... from 'fabts'` in a fabfile must become. */
const SELF_URL = new URL(import.meta.url.endsWith('.ts') ? '../index.ts' : '../index.js', import.meta.url).href;

/** Where CommonJS `require('fabts')` resolves to: a cache entry holding this module's own namespace. */
const CJS_SELF_PATH = '/__fabts__/index.cjs';

type ModuleInternals = typeof Module & {
  _cache: Record<string, unknown>;
  _resolveFilename: (request: string, ...rest: unknown[]) => string;
  prototype: { _compile: (content: string, filename: string, ...rest: unknown[]) => unknown };
};

// tsx's CommonJS build of its require hooks: the ES module build imports esbuild as an ES module, ~30 ms more.
const require = createRequire(import.meta.url);
type TsxApi = { register: () => unknown };

let requireHooksInstalled = false;
let importHooksInstalled = false;

/** A dynamic import in compiled code (a fabfile's `await import('./helpers.ts')`): what needs the import hooks. */
const DYNAMIC_IMPORT = /\bimport\s*\(/;

/**
 * Makes `require()` load `.ts` files (tsx) and resolve `fabts` to this very module instance, even from a
 * project with no node_modules (global install, npx): one `env`, never two. tsx compiles a `.ts` file in a
 * package without `"type": "module"` to CommonJS, whose `require('fabts')` no ES module resolve hook sees.
 * A project file compiled with a dynamic `import(` in it gets the import hooks before it runs: see below.
 */
async function installRequireHooks(): Promise<void> {
  if (requireHooksInstalled) return;
  requireHooksInstalled = true;
  (require('tsx/cjs/api') as TsxApi).register();
  const self = (await import(SELF_URL)) as Record<string, unknown>;
  const internals = Module as ModuleInternals;
  const cached = new Module(CJS_SELF_PATH);
  cached.filename = CJS_SELF_PATH;
  cached.loaded = true;
  cached.exports = self;
  internals._cache[CJS_SELF_PATH] = cached;
  const resolveFilename = internals._resolveFilename;
  internals._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    return request === 'fabts' ? CJS_SELF_PATH : resolveFilename.call(this, request, ...rest);
  };
  const compile = internals.prototype._compile;
  internals.prototype._compile = function (this: unknown, content: string, filename: string, ...rest: unknown[]) {
    if (!importHooksInstalled && !filename.includes(`${sep}node_modules${sep}`) && DYNAMIC_IMPORT.test(content)) registerImportHooks();
    return compile.call(this, content, filename, ...rest);
  };
}

/**
 * Makes `import()` load `.ts` files and resolve `fabts` to this module. Node.js runs module hooks on a thread
 * of their own, whose start (with tsx's loader) costs ~50 ms of the main thread and ~100 ms of CPU: only a run
 * whose code imports dynamically pays it. module.register() is synchronous (it waits for the hooks thread),
 * so the hooks are in place before the code that needs them runs.
 */
function registerImportHooks(): void {
  if (importHooksInstalled) return;
  importHooksInstalled = true;
  // What tsx/esm/api's register() does: stack traces through source maps, and tsx's ES module loader (which
  // needs `data`: without it, tsx takes itself for a --loader and refuses).
  process.setSourceMapsEnabled(true);
  registerHooks(pathToFileURL(require.resolve('tsx/esm')).href, { parentURL: import.meta.url, data: {} });
  const resolveHook = `export async function resolve(specifier, context, next) {
    if (specifier === 'fabts') return { url: ${JSON.stringify(SELF_URL)}, shortCircuit: true };
    return next(specifier, context);
  }`;
  registerHooks(`data:text/javascript,${encodeURIComponent(resolveHook)}`);
}

/**
 * The fabfile through require() alone, with no module hooks thread unless its code imports dynamically: what
 * tsx does anyway for a fabfile that is CommonJS, and for an ES module fabfile compiled to CommonJS. Undefined
 * when that does not load it (top-level await, an ES-module-only import ...): import() then loads it as it is,
 * and reports the error if there is one.
 */
async function requireFabfile(path: string): Promise<Record<string, unknown> | undefined> {
  await installRequireHooks();
  try {
    const exports = require(path) as Record<string, unknown>;
    // The shape import() gives a CommonJS module, which moduleExports() unwraps.
    return { default: exports, 'module.exports': exports };
  } catch {
    delete require.cache[path];
    return undefined;
  }
}

/** file:line of the first stack frame inside the fabfile, when there is one. */
function whereInFabfile(error: unknown, path: string): string | undefined {
  const text = error instanceof Error ? `${error.stack ?? ''}\n${error.message}` : String(error);
  const name = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`(?:file://)?[^\\s(]*${name}:(\\d+)(?::(\\d+))?`).exec(text);
  return match ? `${relative(process.cwd(), path) || path}:${match[1]}` : undefined;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // esbuild puts "file:line:col: ERROR: message" on the line after "Transform failed with 1 error:".
  const lines = message.split('\n').map((line) => line.trim()).filter(Boolean);
  const esbuild = lines.find((line) => /: ERROR: /.test(line));
  return (esbuild ? esbuild.replace(/^.*?: ERROR: /, '') : lines[0]) ?? String(error);
}

/**
 * A fabfile compiled to CommonJS (a `.ts` file in a package without `"type": "module"`) arrives as
 * `{ default: module.exports }`; its real exports, and its own default, are inside.
 */
function moduleExports(namespace: Record<string, unknown>): Record<string, unknown> {
  const inner = namespace.default as Record<string, unknown> | undefined;
  if (inner && typeof inner === 'object' && (inner.__esModule || 'module.exports' in namespace)) {
    const { __esModule: _marker, ...rest } = inner;
    return rest;
  }
  return namespace;
}

export interface LoadedFabfile {
  path: string;
  registry: TaskRegistry;
}

/**
 * Loads the fabfile (its top-level env assignments land in env's fabfile layer) and collects its tasks:
 * through require() when that works, which spares the module hooks thread (~110 ms of every `fab task`).
 * An ES module `.ts` fabfile then runs as tsx compiles it to CommonJS, as `fab -l` always listed it
 * (import.meta.url, dirname and filename work; top-level await makes it load through import()).
 */
export async function loadFabfile(path: string): Promise<LoadedFabfile> {
  envStore.writeLayer = 'fabfile';
  let exports: Record<string, unknown> | undefined;
  try {
    // An .mjs or .mts fabfile is an ES module by its very name: it is imported as one.
    if (!/\.m[jt]s$/.test(path)) exports = await requireFabfile(path);
    if (!exports) {
      await installRequireHooks();
      registerImportHooks();
      exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    }
  } catch (error) {
    const where = whereInFabfile(error, path) ?? relative(process.cwd(), path);
    throw new LoadError(`fabfile failed to load at ${where}: ${firstLine(error)}`, { cause: error });
  } finally {
    envStore.writeLayer = 'runtime';
  }
  let source = '';
  try {
    source = readFileSync(path, 'utf8');
  } catch {
    /* descriptions from doc comments are a nicety */
  }
  return { path, registry: buildRegistry(moduleExports(exports), docComments(source)) };
}
