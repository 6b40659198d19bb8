import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { CosmiconfigResult, Loaders, PublicExplorer } from 'cosmiconfig';
import { UsageError } from '../errors.ts';
import { configError, parseJson } from './config-errors.ts';
import { PATH_KEYS, defaultSettings, validateSettings } from './schema.ts';
import { refuseUntrusted } from '../util/trust.ts';

/**
 * The config layers under the fabfile and the command line (API.md "env", precedence lowest first):
 * defaults < user (`~/.fabrc*`) < project (cosmiconfig `fab`, nearest to cwd) < file (`-c FILE`).
 * Each layer remembers where it came from so settings can be traced back to a file.
 */

export type ConfigLayerName = 'defaults' | 'user' | 'project' | 'file';

export interface ConfigLayer {
  name: ConfigLayerName;
  /** The file's absolute path, or 'defaults'. */
  source: string;
  /** Validated settings: normalized keys, known keys checked and coerced, unknown keys as written. */
  values: Record<string, unknown>;
}

export interface LoadConfigOptions {
  /** Where the project search starts. */
  cwd: string;
  /** The user's home directory; `os.homedir()` when absent. */
  home?: string;
  /** `-c FILE`, relative to `cwd`. */
  configFile?: string;
}

/** Looked for in the home directory only, first found wins. */
export const USER_CONFIG_FILES: readonly string[] = Object.freeze([
  '.fabrc',
  '.fabrc.json',
  '.fabrc.yaml',
  '.fabrc.yml',
  '.fabrc.js',
  '.fabrc.ts',
  '.fabrc.mjs',
  '.fabrc.cjs',
]);

/** Looked for in each directory from cwd upward, first found wins. */
export const PROJECT_CONFIG_FILES: readonly string[] = Object.freeze([
  'package.json',
  '.fabrc',
  '.fabrc.json',
  '.fabrc.yaml',
  '.fabrc.yml',
  '.fabrc.js',
  '.fabrc.ts',
  '.fabrc.mjs',
  '.fabrc.cjs',
  'fab.config.js',
  'fab.config.ts',
  'fab.config.mjs',
  'fab.config.cjs',
  'fab.config.json',
]);

/** In the home directory the `.fabrc*` files are the user layer, never the project layer. */
const HOME_PROJECT_CONFIG_FILES = PROJECT_CONFIG_FILES.filter((name) => !USER_CONFIG_FILES.includes(name));

/** Returns the layers that exist, lowest precedence first; 'defaults' is always there. */
export async function loadConfigLayers(options: LoadConfigOptions): Promise<ConfigLayer[]> {
  const cwd = path.resolve(options.cwd);
  const home = path.resolve(options.home ?? homedir());
  const configFile = options.configFile === undefined ? undefined : path.resolve(cwd, options.configFile);

  const file = configFile === undefined ? undefined : await loadExplicitConfig(configFile);
  const userPath = await firstFile(home, USER_CONFIG_FILES);
  const user = userPath === undefined || userPath === configFile ? undefined : await loadFile(trusted(userPath));
  const project = await searchProjectConfig(cwd, home, configFile);

  const layers: ConfigLayer[] = [{ name: 'defaults', source: 'defaults', values: defaultSettings() }];
  // A file shows up once, at its highest layer: `-c ~/.fabrc` is the file layer, not also the user layer.
  if (user) layers.push(toLayer('user', user));
  if (project && project.filepath !== configFile && project.filepath !== userPath) layers.push(toLayer('project', project));
  if (file) layers.push(toLayer('file', file));
  return layers;
}

interface LoadedFile {
  filepath: string;
  config: unknown;
}

function toLayer(name: ConfigLayerName, loaded: LoadedFile): ConfigLayer {
  const { filepath, config } = loaded;
  if (config === undefined || config === null) return { name, source: filepath, values: {} };
  const label = path.basename(filepath) === 'package.json' ? `${filepath} ("fab" key)` : filepath;
  const values = validateSettings(config as Record<string, unknown>, label);
  return { name, source: filepath, values: resolvePaths(values, path.dirname(filepath)) };
}

/** Relative paths in a config file are relative to that file, so `fab` behaves the same from any subdirectory. */
function resolvePaths(values: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  const resolve = (value: unknown): unknown =>
    typeof value === 'string' && value !== '' && !value.startsWith('~') ? path.resolve(baseDir, value) : value;
  for (const key of PATH_KEYS) {
    if (!Object.hasOwn(values, key)) continue;
    const value = values[key];
    values[key] = Array.isArray(value) ? value.map(resolve) : resolve(value);
  }
  return values;
}

async function loadExplicitConfig(filepath: string): Promise<LoadedFile> {
  const kind = await fileKind(filepath);
  if (kind === 'missing') throw new UsageError(`Config file not found: ${filepath} (given with -c)`, 'BAD_CONFIG');
  if (kind === 'other') throw new UsageError(`${filepath}: not a file (given with -c)`, 'BAD_CONFIG');
  return loadFile(filepath);
}

async function loadFile(filepath: string): Promise<LoadedFile> {
  let result: CosmiconfigResult;
  try {
    result = await explorer(PROJECT_CONFIG_FILES).load(filepath);
  } catch (error) {
    throw configError(filepath, error);
  }
  return { filepath, config: result?.config };
}

/**
 * Nearest config from cwd upward, stopping after the project root (a directory with package.json or package.yaml,
 * as cosmiconfig's 'project' strategy), the home directory (as 'global' with stopDir = home) or the file system root.
 * Neither built-in strategy alone fits: 'project' walks past home up to / when there is no package.json, and
 * 'global' also reads the OS config directory (~/.config/fab), a second user layer that `home` cannot redirect.
 */
async function searchProjectConfig(cwd: string, home: string, named: string | undefined): Promise<LoadedFile | undefined> {
  const everywhere = () => explorer(PROJECT_CONFIG_FILES);
  const inHome = () => explorer(HOME_PROJECT_CONFIG_FILES);
  for (let dir = cwd; ; ) {
    const atHome = dir === home;
    let result: CosmiconfigResult = null;
    try {
      const candidates = await configCandidates(dir, atHome ? HOME_PROJECT_CONFIG_FILES : PROJECT_CONFIG_FILES);
      // cosmiconfig loads (runs) the first of them: each must be trustworthy before it searches (or named by -c).
      for (const candidate of candidates) if (candidate !== named) trusted(candidate);
      if (candidates.length > 0) result = await (atHome ? inHome() : everywhere()).search(dir);
    } catch (error) {
      throw configError(errorPath(error) ?? dir, error);
    }
    // An empty package.json is not a fab config; an empty .fabrc is (an empty layer that stops the search).
    if (result && !(result.isEmpty && path.basename(result.filepath) === 'package.json')) {
      return { filepath: result.filepath, config: result.config };
    }
    if (atHome || (await isProjectRoot(dir))) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The config files in dir cosmiconfig may load, other than a package.json without a "fab" key: when there are none
 * it need not look (most directories hold none, and loading cosmiconfig costs ~10 ms of every `fab`'s start-up).
 */
async function configCandidates(dir: string, names: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) {
    const candidate = path.join(dir, name);
    if ((await fileKind(candidate)) !== 'file') continue;
    if (name === 'package.json') {
      try {
        if (!Object.hasOwn(JSON.parse(await readFile(candidate, 'utf8')) as object, 'fab')) continue;
      } catch {
        // cosmiconfig reports what is wrong with it
      }
    }
    found.push(candidate);
  }
  return found;
}

/**
 * A config found by searching (the project's, the user's) is loaded only if no other user could have put it there:
 * code configs run as this user, and data configs can name what runs (an ssh_config with a ProxyCommand). `-c`
 * names one to trust.
 */
function trusted(file: string): string {
  refuseUntrusted(file, '-c');
  return file;
}

async function isProjectRoot(dir: string): Promise<boolean> {
  for (const name of ['package.json', 'package.yaml']) {
    if ((await fileKind(path.join(dir, name))) === 'file') return true;
  }
  return false;
}

async function firstFile(dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const name of names) {
    const candidate = path.join(dir, name);
    if ((await fileKind(candidate)) === 'file') return candidate;
  }
  return undefined;
}

async function fileKind(filepath: string): Promise<'file' | 'missing' | 'other'> {
  try {
    return (await stat(filepath)).isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** A fresh explorer each time: cosmiconfig's caches would keep stale results across calls in one process. */
function explorer(searchPlaces: readonly string[]): PublicExplorer {
  return cosmiconfigModule().cosmiconfig('fab', {
    searchStrategy: 'none',
    searchPlaces: [...searchPlaces],
    ignoreEmptySearchPlaces: false,
    cache: false,
    loaders: LOADERS,
  });
}

const require = createRequire(import.meta.url);
const requireCache = require.cache;
/** cosmiconfig, loaded only when there is a config file to read (see mayHoldConfig). */
const cosmiconfigModule = () => require('cosmiconfig') as typeof import('cosmiconfig');
const loadYaml: Loaders['.yaml'] = (filepath, content) => cosmiconfigModule().defaultLoaders['.yaml'](filepath, content);

const LOADERS: Loaders = {
  '.json': loadJson,
  '.yaml': loadYaml,
  '.yml': loadYaml,
  noExt: loadYaml, // `.fabrc`: YAML, which JSON is a subset of
  '.js': loadScript,
  '.mjs': loadScript,
  '.cjs': loadScript,
  '.ts': loadTypeScript,
  '.mts': loadTypeScript,
  '.cts': loadTypeScript,
};

/** JSON.parse; an error gives the line and column, never the text (config-errors.ts). */
function loadJson(_filepath: string, content: string): unknown {
  return parseJson(content.replace(/^\uFEFF/, ''));
}

let loads = 0;

/**
 * Native import() rather than cosmiconfig's JS loader, which falls back to require() and then reports Node's confusing
 * require error instead of the syntax error. Every load reads the file afresh (a query for the ESM cache, the
 * require cache entry dropped for CommonJS), so loading twice in one process never returns a stale or failed module.
 */
async function loadScript(filepath: string): Promise<unknown> {
  delete requireCache[filepath];
  const url = `${pathToFileURL(filepath).href}?fabts-config=${++loads}`;
  return exportedConfig((await import(url)) as Record<string, unknown>);
}

/** tsx instead of cosmiconfig's TS loader, which needs `typescript` (a devDependency only). */
async function loadTypeScript(filepath: string): Promise<unknown> {
  const { tsImport } = await import('tsx/esm/api');
  delete requireCache[filepath];
  return exportedConfig((await tsImport(pathToFileURL(filepath).href, import.meta.url)) as Record<string, unknown>);
}

/**
 * The config a module exports: its default export, else its named exports (`export const hosts = [...]`).
 * tsx compiles .ts in a CommonJS package to CommonJS, where `export default x` arrives as `{ default: x }`.
 */
function exportedConfig(namespace: Record<string, unknown>): unknown {
  let config = namespace.default;
  if (typeof config === 'object' && config !== null && Object.hasOwn(config, 'default')) {
    const exports = config as Record<string, unknown>;
    if (exports.__esModule === true || Object.keys(exports).length === 1) config = exports.default;
  }
  if (config !== undefined) return config;
  const named = Object.entries(namespace).filter(([name]) => name !== 'default' && name !== 'module.exports');
  return named.length === 0 ? undefined : Object.fromEntries(named);
}

function errorPath(error: unknown): string | undefined {
  const filepath = (error as { filepath?: unknown } | null)?.filepath;
  return typeof filepath === 'string' ? filepath : undefined;
}
