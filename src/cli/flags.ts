// The flags of `fab`, as one table: the yargs parser (help, errors) and the quick parser are both built from it.

export interface FlagSpec {
  alias?: string;
  type: 'boolean' | 'string' | 'number';
  array?: boolean;
  /** The flag takes a value: missing, it is a usage error. */
  requiresArg?: boolean;
  group?: string;
  describe: string;
}

const GROUPS = {
  targets: 'Targets:',
  connection: 'Connection:',
  execution: 'Execution:',
  output: 'Output:',
  fabfile: 'Fabfile and config:',
};

export const FLAGS: Record<string, FlagSpec> = {
  list: { alias: 'l', type: 'boolean', describe: 'list the tasks, grouped by namespace, with descriptions' },
  display: { alias: 'd', type: 'string', describe: 'show a task\'s description and arguments', requiresArg: true },
  fabfile: { alias: 'f', type: 'string', group: GROUPS.fabfile, describe: 'fabfile to load (default: nearest fabfile.ts upward)', requiresArg: true },
  config: { alias: 'c', type: 'string', group: GROUPS.fabfile, describe: 'config file, above the project config', requiresArg: true },
  set: { type: 'string', group: GROUPS.fabfile, describe: 'set env keys: --set key=value,other=value', requiresArg: true },
  hosts: { alias: 'H', type: 'string', group: GROUPS.targets, describe: 'comma-separated hosts: user@host:port, [v6::addr]:port or ssh_config aliases', requiresArg: true },
  roles: { alias: 'R', type: 'string', group: GROUPS.targets, describe: 'comma-separated roles from env.roledefs', requiresArg: true },
  'exclude-hosts': { alias: 'x', type: 'string', group: GROUPS.targets, describe: 'comma-separated hosts to leave out', requiresArg: true },
  user: { alias: 'u', type: 'string', group: GROUPS.connection, describe: 'login user (default: ssh_config, then the local user)', requiresArg: true },
  port: { type: 'number', group: GROUPS.connection, describe: 'SSH port (default: ssh_config, then 22)', requiresArg: true },
  identity: { alias: 'i', type: 'string', group: GROUPS.connection, describe: 'private key file (repeatable)', requiresArg: true },
  gateway: { alias: 'g', type: 'string', group: GROUPS.connection, describe: 'jump host (bastion) for every target', requiresArg: true },
  'forward-agent': { alias: 'A', type: 'boolean', group: GROUPS.connection, describe: 'forward the local ssh-agent' },
  'no-agent': { alias: 'a', type: 'boolean', group: GROUPS.connection, describe: 'do not use ssh-agent' },
  'no-keys': { alias: 'k', type: 'boolean', group: GROUPS.connection, describe: 'do not load keys from ~/.ssh' },
  'ssh-config': { alias: 'F', type: 'string', group: GROUPS.connection, describe: 'OpenSSH client config (default ~/.ssh/config)', requiresArg: true },
  'reject-unknown-hosts': { alias: 'r', type: 'boolean', group: GROUPS.connection, describe: 'refuse hosts missing from known_hosts' },
  'disable-known-hosts': { alias: 'D', type: 'boolean', group: GROUPS.connection, describe: 'do not check or record host keys' },
  timeout: { alias: 't', type: 'number', group: GROUPS.connection, describe: 'connect timeout, seconds', requiresArg: true },
  'connection-attempts': { alias: 'n', type: 'number', group: GROUPS.connection, describe: 'connection attempts per host', requiresArg: true },
  keepalive: { type: 'number', group: GROUPS.connection, describe: 'keepalive interval, seconds (0: off)', requiresArg: true },
  'prompt-for-password': { alias: 'I', type: 'boolean', group: GROUPS.connection, describe: 'ask for the login password once, before connecting' },
  'prompt-for-sudo-password': { type: 'boolean', group: GROUPS.connection, describe: 'ask for the sudo password once, before any task runs' },
  parallel: { alias: 'P', type: 'boolean', group: GROUPS.execution, describe: 'run each task on its hosts at once' },
  'pool-size': { alias: 'z', type: 'number', group: GROUPS.execution, describe: 'at most this many hosts at once with -P', requiresArg: true },
  'warn-only': { alias: 'w', type: 'boolean', group: GROUPS.execution, describe: 'warn instead of failing when a command exits non-zero' },
  'command-timeout': { alias: 'T', type: 'number', group: GROUPS.execution, describe: 'end commands running longer than this, seconds', requiresArg: true },
  'skip-bad-hosts': { type: 'boolean', group: GROUPS.execution, describe: 'skip hosts that cannot be reached instead of failing' },
  'skip-unknown-tasks': { type: 'boolean', group: GROUPS.execution, describe: 'warn about unknown tasks instead of failing' },
  'abort-on-prompts': { type: 'boolean', group: GROUPS.execution, describe: 'fail instead of asking at the terminal' },
  'dry-run': { type: 'boolean', group: GROUPS.execution, describe: 'show the commands without running them' },
  hide: { type: 'string', group: GROUPS.output, describe: 'hide output levels: running,stdout,stderr,status,warnings,debug', requiresArg: true },
  show: { type: 'string', group: GROUPS.output, describe: 'show output levels (e.g. debug)', requiresArg: true },
  linewise: { type: 'boolean', group: GROUPS.output, describe: 'print output line by line, prefixed with the host' },
  json: { type: 'boolean', group: GROUPS.output, describe: 'print one JSON document with every result to stdout at the end (progress goes to stderr)' },
  events: { type: 'string', group: GROUPS.output, describe: 'write the run as JSON lines to FILE while it goes (-: stdout, progress then goes to stderr)', requiresArg: true },
  'log-dir': { type: 'string', group: GROUPS.output, describe: 'write a log per host and a run log into DIR (files 0600)', requiresArg: true },
  'no-color': { type: 'boolean', group: GROUPS.output, describe: 'no colors (also NO_COLOR=1)' },
  debug: { type: 'boolean', group: GROUPS.output, describe: 'print stack traces and connection details' },
};

/**
 * yargs-parser settings shared by both parsers. Nothing is greedy: `-H web1 deploy` is one host and a task.
 * Positionals stay strings: a task named `1e3` is not the number 1000.
 */
export const PARSER_CONFIGURATION = {
  'boolean-negation': false,
  'greedy-arrays': false,
  'populate--': true,
  'camel-case-expansion': true,
  'strip-aliased': false,
  'parse-positional-numbers': false,
} as const;

/** `fab serve` only (also the config file's `serve` key, by these names). */
export const SERVE_FLAGS: Record<string, FlagSpec> = {
  listen: { type: 'string', describe: 'HOST:PORT to listen on (default 127.0.0.1:8181)', requiresArg: true },
  data: { type: 'string', describe: 'where runs, events and logs are kept (default .fab/serve beside the fabfile)', requiresArg: true },
  'max-runs': { type: 'number', describe: 'runs at once (default 4); more wait in a queue', requiresArg: true },
  'max-queue': { type: 'number', describe: 'runs waiting at most (default 100); past it, 429', requiresArg: true },
  'keep-runs': { type: 'number', describe: 'finished runs kept (default 1000)', requiresArg: true },
  'keep-days': { type: 'number', describe: 'days a finished run is kept (default 30)', requiresArg: true },
  'token-file': { type: 'string', describe: 'bearer tokens, one "role name token" a line (created 0600 when missing)', requiresArg: true },
  'tls-cert': { type: 'string', describe: 'TLS certificate (PEM)', requiresArg: true },
  'tls-key': { type: 'string', describe: 'TLS private key (PEM)', requiresArg: true },
  'insecure-http': { type: 'boolean', describe: 'allow plain HTTP beyond loopback (tokens then cross the network in clear)' },
  'drain-timeout': { type: 'number', describe: 'seconds running runs get to finish after SIGTERM before they are cancelled (default 600)', requiresArg: true },
};
