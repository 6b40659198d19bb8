import type { Argv } from 'yargs';
import { UsageError } from '../errors.ts';
import { closest } from './suggest.ts';
import { FLAGS, PARSER_CONFIGURATION, SERVE_FLAGS } from './flags.ts';
import { quickParse } from './quick-parse.ts';
import type { RolloutFlags } from '../exec/rollout.ts';

/** What the command line says, after parsing: the only shape code past the CLI boundary sees. */
export interface CliOptions {
  tasks: string[];
  adHoc: string | undefined;
  list: boolean;
  display: string | undefined;
  fabfile: string | undefined;
  config: string | undefined;
  set: string[];
  hosts: string[];
  roles: string[];
  excludeHosts: string[];
  user: string | undefined;
  port: number | undefined;
  identity: string[];
  gateway: string | undefined;
  forwardAgent: boolean;
  noAgent: boolean;
  noKeys: boolean;
  sshConfig: string | undefined;
  rejectUnknownHosts: boolean;
  disableKnownHosts: boolean;
  timeout: number | undefined;
  connectionAttempts: number | undefined;
  keepalive: number | undefined;
  parallel: boolean;
  poolSize: number | undefined;
  warnOnly: boolean;
  commandTimeout: number | undefined;
  skipBadHosts: boolean;
  skipUnknownTasks: boolean;
  abortOnPrompts: boolean;
  promptForPassword: boolean;
  promptForSudoPassword: boolean;
  dryRun: boolean;
  hide: string[];
  show: string[];
  linewise: boolean;
  json: boolean;
  logDir: string | undefined;
  /** `--events FILE|-`: the run as JSON lines. */
  events: string | undefined;
  noColor: boolean;
  debug: boolean;
  command: 'run' | 'init' | 'types' | 'completion' | 'shell' | 'serve' | 'lock';
  /** `fab serve` flags, as given (src/serve/options.ts checks them with the config file's `serve` key). */
  serve: Record<string, unknown>;
  /** `fab lock status|release [TASK]`. */
  lockAction: 'status' | 'release' | undefined;
  /** --batch, --gate, --gate-http, --batch-wait, --max-fail, --lock-wait, --lock-message. */
  rollout: RolloutFlags;
  force: boolean;
  /** `fab shell [cmd..]` / `fab shell -- cmd`: the command to run interactively instead of a login shell. */
  shellCommand: string | undefined;
}

/** A repeatable flag's values: one string when given once, an array when repeated. */
function repeated(value: unknown): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
}

/** A repeatable flag of comma-separated values (`-H a,b -H c`). */
function list(value: unknown): string[] {
  return repeated(value).flatMap((item) => item.split(',')).map((item) => item.trim()).filter(Boolean);
}

/**
 * A repeatable flag naming hosts or roles: an empty one (`-H ''`, `-H web1,,web2`) is a usage error, not
 * silently nothing (which would run the task locally instead of on the hosts meant).
 */
function targetList(value: unknown, flag: string, example: string): string[] {
  const items = repeated(value).flatMap((item) => item.split(',')).map((item) => item.trim());
  if (items.some((item) => item === '')) {
    const given = repeated(value).map((item) => JSON.stringify(item)).join(', ');
    throw new UsageError(`${flag} ${given} holds an empty name; give names separated by commas, e.g. ${flag} ${example}`, 'BAD_HOST');
  }
  return items;
}

/**
 * The yargs parser for `fab`. Strict: an unknown flag is a usage error with a suggestion. Loaded only when the
 * quick parser passes (help, version, subcommands, mistakes): importing yargs costs ~50 ms of start-up.
 */
export async function buildParser(argv: string[]): Promise<Argv> {
  const { default: yargs } = await import('yargs');
  return yargs(argv)
    .scriptName('fab')
    .usage('Usage: $0 [options] [task[:arg,key=value] ...] [-- ad hoc command]\n\nRuns fabfile tasks on hosts over SSH.')
    .parserConfiguration(PARSER_CONFIGURATION)
    .command('$0 [tasks..]', 'run tasks (default)', (y) => y.positional('tasks', { type: 'string', array: true }))
    .command('init', 'write a starter fabfile.ts (and a tsconfig.json for editors) into the current directory', (y) => y.option('force', { type: 'boolean', describe: 'overwrite an existing fabfile.ts' }))
    .command('types', "make editors resolve 'fabts' to this fab's types (tsconfig.json paths), with no npm install")
    .command('completion', 'print a shell completion script (bash/zsh): fab completion >> ~/.bashrc')
    .command('serve', 'serve the fabfile over HTTP and as a web page: run tasks, follow them live, keep their history (see README "fab serve")', (y) => y.options(SERVE_FLAGS))
    .command('lock <action> [tasks..]', 'show (status) or remove (release) deploy locks on the hosts (-H, or a task\'s); release removes stale ones, --force any (recorded in the host\'s audit.log)', (y) =>
      y.positional('action', { choices: ['status', 'release'] }).option('force', { type: 'boolean', describe: 'release locks still held by a live run' }),
    )
    .command('shell [cmd..]', 'open an interactive shell on each host (-H), one after another; fab -H web1 shell -- top runs a command instead')
    .options(FLAGS)
    .help('help')
    .alias('help', 'h')
    .version('version', 'show the version', versionText())
    .alias('version', 'V')
    .strict()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue('Exit status: 0 all done, 1 a task failed, 2 usage error, 3 fabfile failed to load, 130 interrupted.')
    .exitProcess(false)
    .fail((message, error) => {
      if (argv.includes('lock') && /Not enough non-option arguments|Invalid values/.test(message ?? '')) {
        throw new UsageError('fab lock needs what to do: fab lock status [TASK] (-H hosts), or fab lock release [--force] [TASK]');
      }
      throw error ?? new UsageError(explainFailure(message));
    });
}

let version = '0.0.0';
export function setVersion(value: string): void {
  version = value;
}
function versionText(): string {
  return `fabts ${version} (node ${process.version})`;
}

const KNOWN_FLAGS = [...Object.keys(FLAGS), 'help', 'version'];

/** Turns yargs' messages into one line that says what to do, with a suggestion for a mistyped flag. */
function explainFailure(message: string): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (unknown) {
    const names = unknown[1]!.split(', ').map((name) => name.trim());
    const first = names[0]!;
    const suggestion = closest(first.replace(/^-+/, ''), KNOWN_FLAGS);
    const flag = first.startsWith('-') ? first : first.length === 1 ? `-${first}` : `--${first}`;
    return `unknown option ${flag}${suggestion ? ` (did you mean --${suggestion}?)` : ''}; "fab --help" lists the options`;
  }
  if (message.startsWith('Invalid values:')) return `${message.replace(/\s*\n\s*/g, ' ')}; "fab --help" lists the options`;
  return `${message.split('\n')[0]}; "fab --help" lists the options`;
}

function optionalNumber(value: unknown, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < min) throw new UsageError(`${flag} needs a number of at least ${min}, not "${String(value)}"`);
  return number;
}

function rolloutFlags(parsed: Record<string, unknown>): RolloutFlags {
  const text = (key: string) => (parsed[key] === undefined ? undefined : String(parsed[key]));
  const flags: RolloutFlags = {};
  const batch = text('batch');
  const gate = text('gate');
  const gateHttp = text('gateHttp');
  const maxFail = text('maxFail');
  const lockMessage = text('lockMessage');
  const batchWait = optionalNumber(parsed.batchWait, '--batch-wait', 0);
  const lockWait = optionalNumber(parsed.lockWait, '--lock-wait', 0);
  if (batch !== undefined) flags.batch = batch;
  if (gate !== undefined) flags.gate = gate;
  if (gateHttp !== undefined) flags.gateHttp = gateHttp;
  if (maxFail !== undefined) flags.maxFail = maxFail;
  if (lockMessage !== undefined) flags.lockMessage = lockMessage;
  if (batchWait !== undefined) flags.batchWait = batchWait;
  if (lockWait !== undefined) flags.lockWait = lockWait;
  return flags;
}

/**
 * Parses argv into CliOptions; help and version are printed by yargs (returns undefined then).
 * `quick: false` skips the quick parser (tests check both parsers agree).
 */
export async function parseCli(argv: string[], print: (text: string) => void, options: { quick?: boolean } = {}): Promise<CliOptions | undefined> {
  let output = '';
  const parsed =
    (options.quick === false ? undefined : quickParse(argv)) ??
    ((await (await buildParser(argv)).parseAsync(argv, {}, (_error, _argv, text) => {
      output = text;
    })) as Record<string, unknown>);
  if (parsed.help || parsed.version) {
    print(output.endsWith('\n') ? output : `${output}\n`);
    return undefined;
  }
  const positional = ((parsed.tasks as unknown[] | undefined) ?? (parsed._ as unknown[])).map(String);
  const commandWord = (parsed._ as unknown[])[0];
  const command = commandWord === 'init' || commandWord === 'types' || commandWord === 'completion' || commandWord === 'shell' || commandWord === 'serve' || commandWord === 'lock' ? commandWord : 'run';
  const dashDash = (parsed['--'] as unknown[] | undefined)?.map(String) ?? [];
  const shellWords = command === 'shell' ? [...((parsed.cmd as unknown[] | undefined) ?? []).map(String), ...dashDash] : [];
  return {
    tasks: command === 'run' || command === 'lock' ? positional : [],
    adHoc: dashDash.length && command !== 'shell' ? dashDash.join(' ') : undefined,
    list: Boolean(parsed.list),
    display: parsed.display as string | undefined,
    fabfile: parsed.fabfile as string | undefined,
    config: parsed.config as string | undefined,
    set: repeated(parsed.set),
    hosts: targetList(parsed.hosts, '-H', 'web1,web2'),
    roles: targetList(parsed.roles, '-R', 'web,db'),
    excludeHosts: targetList(parsed.excludeHosts, '-x', 'web2'),
    user: parsed.user as string | undefined,
    port: optionalNumber(parsed.port, '--port', 1),
    identity: repeated(parsed.identity),
    gateway: parsed.gateway as string | undefined,
    forwardAgent: Boolean(parsed.forwardAgent),
    noAgent: Boolean(parsed.noAgent),
    noKeys: Boolean(parsed.noKeys),
    sshConfig: parsed.sshConfig as string | undefined,
    rejectUnknownHosts: Boolean(parsed.rejectUnknownHosts),
    disableKnownHosts: Boolean(parsed.disableKnownHosts),
    timeout: optionalNumber(parsed.timeout, '--timeout', 0),
    connectionAttempts: optionalNumber(parsed.connectionAttempts, '--connection-attempts', 1),
    keepalive: optionalNumber(parsed.keepalive, '--keepalive', 0),
    parallel: Boolean(parsed.parallel),
    poolSize: optionalNumber(parsed.poolSize, '--pool-size', 1),
    warnOnly: Boolean(parsed.warnOnly),
    commandTimeout: optionalNumber(parsed.commandTimeout, '--command-timeout', 0),
    skipBadHosts: Boolean(parsed.skipBadHosts),
    skipUnknownTasks: Boolean(parsed.skipUnknownTasks),
    abortOnPrompts: Boolean(parsed.abortOnPrompts),
    promptForPassword: Boolean(parsed.promptForPassword),
    promptForSudoPassword: Boolean(parsed.promptForSudoPassword),
    dryRun: Boolean(parsed.dryRun),
    hide: list(parsed.hide),
    show: list(parsed.show),
    linewise: Boolean(parsed.linewise),
    json: Boolean(parsed.json),
    logDir: parsed.logDir as string | undefined,
    events: parsed.events as string | undefined,
    noColor: Boolean(parsed.noColor),
    debug: Boolean(parsed.debug),
    command,
    force: Boolean(parsed.force),
    serve: command === 'serve' ? Object.fromEntries(Object.keys(SERVE_FLAGS).map((flag) => [flag, parsed[flag]]).filter(([, value]) => value !== undefined)) : {},
    shellCommand: shellWords.length ? shellWords.join(' ') : undefined,
    lockAction: command === 'lock' ? (parsed.action as 'status' | 'release') : undefined,
    rollout: rolloutFlags(parsed),
  };
}
