import yargs, { type Argv } from 'yargs';
import { UsageError } from '../errors.ts';
import { closest } from './suggest.ts';

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
  noColor: boolean;
  debug: boolean;
  command: 'run' | 'init' | 'completion' | 'shell';
  force: boolean;
  /** `fab shell [cmd..]` / `fab shell -- cmd`: the command to run interactively instead of a login shell. */
  shellCommand: string | undefined;
}

const GROUPS = {
  targets: 'Targets:',
  connection: 'Connection:',
  execution: 'Execution:',
  output: 'Output:',
  fabfile: 'Fabfile and config:',
};

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

/** The yargs parser for `fab`. Strict: an unknown flag is a usage error with a suggestion. */
export function buildParser(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('fab')
    .usage('Usage: $0 [options] [task[:arg,key=value] ...] [-- ad hoc command]\n\nRuns fabfile tasks on hosts over SSH.')
    .parserConfiguration({ 'boolean-negation': false, 'greedy-arrays': false, 'populate--': true, 'camel-case-expansion': true, 'strip-aliased': false })
    .command('$0 [tasks..]', 'run tasks (default)')
    .command('init', 'write a starter fabfile.ts into the current directory', (y) => y.option('force', { type: 'boolean', describe: 'overwrite an existing fabfile.ts' }))
    .command('completion', 'print a shell completion script (bash/zsh): fab completion >> ~/.bashrc')
    .command('shell [cmd..]', 'open an interactive shell on each host (-H), one after another; fab -H web1 shell -- top runs a command instead')
    .option('list', { alias: 'l', type: 'boolean', describe: 'list the tasks, grouped by namespace, with descriptions' })
    .option('display', { alias: 'd', type: 'string', describe: 'show a task\'s description and arguments', requiresArg: true })
    .option('fabfile', { alias: 'f', type: 'string', group: GROUPS.fabfile, describe: 'fabfile to load (default: nearest fabfile.ts upward)', requiresArg: true })
    .option('config', { alias: 'c', type: 'string', group: GROUPS.fabfile, describe: 'config file, above the project config', requiresArg: true })
    .option('set', { type: 'string', group: GROUPS.fabfile, describe: 'set env keys: --set key=value,other=value', requiresArg: true })
    .option('hosts', { alias: 'H', type: 'string', group: GROUPS.targets, describe: 'comma-separated hosts: user@host:port, [v6::addr]:port or ssh_config aliases', requiresArg: true })
    .option('roles', { alias: 'R', type: 'string', group: GROUPS.targets, describe: 'comma-separated roles from env.roledefs', requiresArg: true })
    .option('exclude-hosts', { alias: 'x', type: 'string', group: GROUPS.targets, describe: 'comma-separated hosts to leave out', requiresArg: true })
    .option('user', { alias: 'u', type: 'string', group: GROUPS.connection, describe: 'login user (default: ssh_config, then the local user)', requiresArg: true })
    .option('port', { type: 'number', group: GROUPS.connection, describe: 'SSH port (default: ssh_config, then 22)', requiresArg: true })
    .option('identity', { alias: 'i', type: 'string', group: GROUPS.connection, describe: 'private key file (repeatable)', requiresArg: true })
    .option('gateway', { alias: 'g', type: 'string', group: GROUPS.connection, describe: 'jump host (bastion) for every target', requiresArg: true })
    .option('forward-agent', { alias: 'A', type: 'boolean', group: GROUPS.connection, describe: 'forward the local ssh-agent' })
    .option('no-agent', { alias: 'a', type: 'boolean', group: GROUPS.connection, describe: 'do not use ssh-agent' })
    .option('no-keys', { alias: 'k', type: 'boolean', group: GROUPS.connection, describe: 'do not load keys from ~/.ssh' })
    .option('ssh-config', { alias: 'F', type: 'string', group: GROUPS.connection, describe: 'OpenSSH client config (default ~/.ssh/config)', requiresArg: true })
    .option('reject-unknown-hosts', { alias: 'r', type: 'boolean', group: GROUPS.connection, describe: 'refuse hosts missing from known_hosts' })
    .option('disable-known-hosts', { alias: 'D', type: 'boolean', group: GROUPS.connection, describe: 'do not check or record host keys' })
    .option('timeout', { alias: 't', type: 'number', group: GROUPS.connection, describe: 'connect timeout, seconds', requiresArg: true })
    .option('connection-attempts', { alias: 'n', type: 'number', group: GROUPS.connection, describe: 'connection attempts per host', requiresArg: true })
    .option('keepalive', { type: 'number', group: GROUPS.connection, describe: 'keepalive interval, seconds (0: off)', requiresArg: true })
    .option('prompt-for-password', { alias: 'I', type: 'boolean', group: GROUPS.connection, describe: 'ask for the login password once, before connecting' })
    .option('prompt-for-sudo-password', { type: 'boolean', group: GROUPS.connection, describe: 'ask for the sudo password once, before any task runs' })
    .option('parallel', { alias: 'P', type: 'boolean', group: GROUPS.execution, describe: 'run each task on its hosts at once' })
    .option('pool-size', { alias: 'z', type: 'number', group: GROUPS.execution, describe: 'at most this many hosts at once with -P', requiresArg: true })
    .option('warn-only', { alias: 'w', type: 'boolean', group: GROUPS.execution, describe: 'warn instead of failing when a command exits non-zero' })
    .option('command-timeout', { alias: 'T', type: 'number', group: GROUPS.execution, describe: 'end commands running longer than this, seconds', requiresArg: true })
    .option('skip-bad-hosts', { type: 'boolean', group: GROUPS.execution, describe: 'skip hosts that cannot be reached instead of failing' })
    .option('skip-unknown-tasks', { type: 'boolean', group: GROUPS.execution, describe: 'warn about unknown tasks instead of failing' })
    .option('abort-on-prompts', { type: 'boolean', group: GROUPS.execution, describe: 'fail instead of asking at the terminal' })
    .option('dry-run', { type: 'boolean', group: GROUPS.execution, describe: 'show the commands without running them' })
    .option('hide', { type: 'string', group: GROUPS.output, describe: 'hide output levels: running,stdout,stderr,status,warnings,debug', requiresArg: true })
    .option('show', { type: 'string', group: GROUPS.output, describe: 'show output levels (e.g. debug)', requiresArg: true })
    .option('linewise', { type: 'boolean', group: GROUPS.output, describe: 'print output line by line, prefixed with the host' })
    .option('json', { type: 'boolean', group: GROUPS.output, describe: 'print one JSON document with every result to stdout at the end (progress goes to stderr)' })
    .option('log-dir', { type: 'string', group: GROUPS.output, describe: 'write a log per host and a run log into DIR (files 0600)', requiresArg: true })
    .option('no-color', { type: 'boolean', group: GROUPS.output, describe: 'no colors (also NO_COLOR=1)' })
    .option('debug', { type: 'boolean', group: GROUPS.output, describe: 'print stack traces and connection details' })
    .help('help')
    .alias('help', 'h')
    .version('version', 'show the version', versionText())
    .alias('version', 'V')
    .strict()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue('Exit status: 0 all done, 1 a task failed, 2 usage error, 3 fabfile failed to load, 130 interrupted.')
    .exitProcess(false)
    .fail((message, error) => {
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

const KNOWN_FLAGS = [
  'list', 'display', 'fabfile', 'config', 'set', 'hosts', 'roles', 'exclude-hosts', 'user', 'port', 'identity', 'gateway', 'forward-agent',
  'no-agent', 'no-keys', 'ssh-config', 'reject-unknown-hosts', 'disable-known-hosts', 'timeout', 'connection-attempts', 'keepalive', 'prompt-for-password', 'prompt-for-sudo-password', 'parallel',
  'pool-size', 'warn-only', 'command-timeout', 'skip-bad-hosts', 'skip-unknown-tasks', 'abort-on-prompts', 'dry-run', 'hide', 'show', 'linewise',
  'json', 'log-dir', 'no-color', 'debug', 'help', 'version',
];

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
  return `${message.split('\n')[0]}; "fab --help" lists the options`;
}

function optionalNumber(value: unknown, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < min) throw new UsageError(`${flag} needs a number of at least ${min}, not "${String(value)}"`);
  return number;
}

/** Parses argv into CliOptions; help and version are printed by yargs (returns undefined then). */
export async function parseCli(argv: string[], print: (text: string) => void): Promise<CliOptions | undefined> {
  let output = '';
  const parser = buildParser(argv);
  const parsed = (await parser.parseAsync(argv, {}, (_error, _argv, text) => {
    output = text;
  })) as Record<string, unknown>;
  if (parsed.help || parsed.version) {
    print(output.endsWith('\n') ? output : `${output}\n`);
    return undefined;
  }
  const positional = ((parsed.tasks as unknown[] | undefined) ?? (parsed._ as unknown[])).map(String);
  const commandWord = (parsed._ as unknown[])[0];
  const command = commandWord === 'init' || commandWord === 'completion' || commandWord === 'shell' ? commandWord : 'run';
  const dashDash = (parsed['--'] as unknown[] | undefined)?.map(String) ?? [];
  const shellWords = command === 'shell' ? [...((parsed.cmd as unknown[] | undefined) ?? []).map(String), ...dashDash] : [];
  return {
    tasks: command === 'run' ? positional : [],
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
    noColor: Boolean(parsed.noColor),
    debug: Boolean(parsed.debug),
    command,
    force: Boolean(parsed.force),
    shellCommand: shellWords.length ? shellWords.join(' ') : undefined,
  };
}
