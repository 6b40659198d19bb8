import { readFileSync } from 'node:fs';
import Module, { createRequire, register as registerHooks } from 'node:module';
import { basename, relative } from 'node:path';
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
};

// tsx's CommonJS build of its require hooks: the ES module build imports esbuild as an ES module, ~30 ms more.
const require = createRequire(import.meta.url);
type TsxApi = { register: () => unknown };

let requireHooksInstalled = false;
let importHooksInstalled = false;

/**
 * Makes `require()` load `.ts` files (tsx) and resolve `fabts` to this very module instance, even from a
 * project with no node_modules (global install, npx): one `env`, never two. tsx compiles a `.ts` file in a
 * package without `"type": "module"` to CommonJS, whose `require('fabts')` no ES module resolve hook sees.
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
}

/**
 * Makes `import()` load `.ts` files and resolve `fabts` to this module. Node.js runs module hooks on a thread
 * of their own, whose start (with tsx's loader) costs ~45 ms: only fabfiles that run tasks pay it.
 */
async function installImportHooks(): Promise<void> {
  await installRequireHooks();
  if (importHooksInstalled) return;
  importHooksInstalled = true;
  // The ES module build: the CommonJS build of tsx/esm/api looks for its loader at a path that does not exist.
  (await import('tsx/esm/api')).register();
  const resolveHook = `export async function resolve(specifier, context, next) {
    if (specifier === 'fabts') return { url: ${JSON.stringify(SELF_URL)}, shortCircuit: true };
    return next(specifier, context);
  }`;
  registerHooks(`data:text/javascript,${encodeURIComponent(resolveHook)}`);
}

/**
 * The fabfile through require() alone, with no module hooks thread: what tsx does anyway for a fabfile that is
 * CommonJS, and for an ES module fabfile compiled to CommonJS. Undefined when that does not load it (top-level
 * await, an ES-module-only import ...): import() then loads it as it is, and reports the error if there is one.
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
 * Imports the fabfile (its top-level env assignments land in env's fabfile layer) and collects its tasks.
 * `listOnly` (fab -l, -d: no task will run) tries require() first, which spares the module hooks thread.
 */
export async function loadFabfile(path: string, options: { listOnly?: boolean } = {}): Promise<LoadedFabfile> {
  envStore.writeLayer = 'fabfile';
  let exports: Record<string, unknown> | undefined;
  try {
    if (options.listOnly) exports = await requireFabfile(path);
    if (!exports) {
      await installImportHooks();
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
