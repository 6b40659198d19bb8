import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors.ts';
import { jsonErrorOffset, lineAndColumn } from './json-position.ts';

/**
 * One-line errors for config files that fail to load. A file that does not parse is reported by its file, line and
 * column only: JSON.parse, js-yaml, esbuild and V8 all quote the text around the error, and in a config file that
 * text is often the password. So are V8's own errors (ReferenceError, TypeError...) raised while a config module runs:
 * `password: hunter2` without quotes is a ReferenceError naming hunter2. Errors the module throws itself keep their
 * message (its author wrote it).
 */

/** Thrown by the JSON loader: where the text stopped being JSON. */
export class JsonSyntaxError extends Error {
  constructor(readonly line?: number, readonly column?: number) {
    super(`not valid JSON${line === undefined ? '' : ` (line ${line}, column ${column})`}`);
    this.name = 'JsonSyntaxError';
  }
}

const V8_ERRORS = new Set(['SyntaxError', 'TypeError', 'ReferenceError', 'RangeError']);
const SCRIPT = /\.(c|m)?js$/;

/** The file and what is wrong with it, in one line; a syntax error's message (and cause) never travels on. */
export function configError(filepath: string, error: unknown): UsageError {
  if (error instanceof UsageError) return error;
  const syntax = syntaxProblem(filepath, error);
  if (syntax) return new UsageError(`${filepath}: ${syntax}`, 'BAD_CONFIG');
  return new UsageError(`${filepath}: ${describeProblem(filepath, error)}`, 'BAD_CONFIG', { cause: error });
}

function syntaxProblem(filepath: string, error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error instanceof JsonSyntaxError) return error.message;
  const mark = (error as { mark?: { line?: unknown; column?: unknown } }).mark;
  if (error.name === 'YAMLException' && typeof mark?.line === 'number' && typeof mark.column === 'number') {
    return `not valid YAML (line ${mark.line + 1}, column ${mark.column + 1})`;
  }
  // esbuild (through tsx): "Transform failed with 1 error:\n/path/fab.config.ts:1:18: ERROR: Expected ... but found ...".
  const esbuild = /:(\d+):(\d+): ERROR: /.exec(error.message);
  if (esbuild) return `not valid TypeScript (line ${esbuild[1]}, column ${Number(esbuild[2]) + 1})`;
  if (error.name === 'SyntaxError' && SCRIPT.test(filepath)) return `not valid JavaScript${scriptSyntaxAt(filepath)}`;
  const at = locationIn(filepath, error.stack);
  if (V8_ERRORS.has(error.name) && at) return `${error.name} (${at})`;
  return undefined;
}

/**
 * V8 gives an ES module's syntax error no position outside its message: esbuild (which tsx brings) parses the
 * file again to find it. " (line N, column M)", or "" when esbuild sees nothing wrong.
 */
function scriptSyntaxAt(filepath: string): string {
  try {
    const esbuild = createRequire(require.resolve('tsx/esm/api'))('esbuild') as typeof import('esbuild');
    esbuild.transformSync(readFileSync(filepath, 'utf8'), { loader: 'js', sourcefile: path.basename(filepath) });
  } catch (error) {
    const where = (error as { errors?: { location?: { line: number; column: number } | null }[] }).errors?.[0]?.location;
    if (where) return ` (line ${where.line}, column ${where.column + 1})`;
  }
  return '';
}

const require = createRequire(import.meta.url);

function describeProblem(filepath: string, error: unknown): string {
  if (!(error instanceof Error)) return String(error).split('\n')[0] ?? 'failed to load';
  const message = error.message
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
  let problem = (message ?? error.name).split(`${filepath}:`).join('').trim();
  if (V8_ERRORS.has(error.name) && !problem.startsWith(error.name)) problem = `${error.name}: ${problem}`;
  const at = locationIn(filepath, error.stack);
  return at && !/\bline \d+/.test(problem) ? `${problem} (${at})` : problem;
}

/** "line N" of the first stack frame inside the config file, when the error came from running it. */
function locationIn(filepath: string, stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  for (const prefix of [pathToFileURL(filepath).href, filepath]) {
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // The URL may carry the query loadScript adds to bypass the module cache.
    const match = new RegExp(`${escaped}(?:\\?[^:\\s)]*)?:(\\d+):\\d+`).exec(stack);
    if (match) return `line ${match[1]}`;
  }
  return undefined;
}

/** JSON.parse with a position a user can find, and without the text V8 quotes. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const offset = jsonErrorOffset(text);
    if (offset === undefined) throw new JsonSyntaxError();
    const { line, column } = lineAndColumn(text, offset);
    throw new JsonSyntaxError(line, column);
  }
}
