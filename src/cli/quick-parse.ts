import parse from 'yargs-parser';
import { FLAGS, PARSER_CONFIGURATION } from './flags.ts';

// `fab` starts on every command: loading yargs (its help layout pulls in Intl.Segmenter and string-width) costs
// ~50 ms, as much as Node.js itself. An ordinary command line needs only yargs' own parser, with the same flag
// table and settings; anything else (help, version, a subcommand, an unknown flag, a missing value) goes to yargs,
// which prints the help or the usage error.

const SUBCOMMANDS = new Set(['init', 'types', 'completion', 'shell', 'serve', 'lock']);
const BAIL_FLAGS = ['help', 'h', 'version', 'V'];

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

const settings = (() => {
  const alias: Record<string, string[]> = { help: ['h'], version: ['V'] };
  const narg: Record<string, number> = {};
  const boolean = ['help', 'version'];
  const string: string[] = [];
  const number: string[] = [];
  const array: string[] = [];
  const known = new Set(['_', '--', ...BAIL_FLAGS]);
  for (const [name, spec] of Object.entries(FLAGS)) {
    ({ boolean, string, number })[spec.type].push(name);
    if (spec.array) array.push(name);
    if (spec.requiresArg) narg[name] = 1;
    if (spec.alias) alias[name] = [spec.alias];
    for (const key of [name, camelCase(name), spec.alias]) if (key) known.add(key);
  }
  return { options: { alias, narg, boolean, string, number, array, configuration: PARSER_CONFIGURATION }, known };
})();

/** argv parsed as yargs would parse it, or undefined when yargs itself must (help, errors, subcommands). */
export function quickParse(argv: string[]): Record<string, unknown> | undefined {
  const result = parse.detailed(argv, settings.options);
  if (result.error) return undefined;
  const parsed = result.argv as Record<string, unknown>;
  if (Object.keys(parsed).some((key) => !settings.known.has(key))) return undefined;
  if (BAIL_FLAGS.some((flag) => parsed[flag] === true)) return undefined;
  const positional = parsed._ as unknown[];
  if (SUBCOMMANDS.has(String(positional[0]))) return undefined;
  return parsed;
}
