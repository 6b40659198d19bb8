/**
 * fabts: Fabric's API for TypeScript fabfiles. `import { task, env, run, sudo, local } from 'fabts'`.
 * Explicit named exports only: this list is the public surface.
 */
export { task } from './fabfile/tasks.ts';
export type { Task, TaskOptions, TaskFunction } from './fabfile/tasks.ts';
export type { TaskArgs } from './fabfile/args.ts';
export { execute, LOCAL_ONLY } from './exec/execute.ts';
export type { ExecuteTargets } from './exec/execute.ts';
export { env } from './env/env.ts';
export type { Env } from './env/env.ts';
export { cd, lcd, settings, hide, show, quiet, warnOnly, prefix, shellEnv, path } from './env/scopes.ts';
export { local } from './ops/command/local.ts';
export { run } from './ops/command/run.ts';
export { sudo } from './ops/sudo/sudo.ts';
export type { SudoOptions } from './ops/sudo/sudo.ts';
export type { CommandOptions } from './ops/command/command.ts';
export { respond, failOn } from './ops/command/responders.ts';
export type { Responder } from './ops/command/responders.ts';
export { abort, warn } from './ops/interactive/messages.ts';
export { prompt, confirm } from './ops/interactive/prompt.ts';
export type { PromptOptions, Validator } from './ops/interactive/prompt.ts';
export { openShell } from './ops/interactive/shell.ts';
export { reboot } from './ops/host/reboot.ts';
export type { RebootOptions } from './ops/host/reboot.ts';
export { forwardLocal, forwardRemote } from './ops/host/forward.ts';
export type { LocalForward, RemoteForward } from './ops/host/forward.ts';
export { quote } from './ops/quoting/quote.ts';
export { Result } from './ops/command/result.ts';
export { FabError, CommandError, AbortError, UsageError } from './errors.ts';
export { put } from './ops/transfer/put.ts';
export type { PutOptions } from './ops/transfer/put.ts';
export { get } from './ops/transfer/get.ts';
export type { GetOptions } from './ops/transfer/get.ts';
export { TransferResult } from './ops/transfer/transfer-result.ts';
export type { TransferredFile } from './ops/transfer/transfer-result.ts';
export { listdir, stat, exists, isDir, isLink, mkdir, remove, rename, readFile, writeFile } from './ops/files/remote-fs.ts';
export type { RemoteStat, TestOptions } from './ops/files/remote-fs.ts';
export { append, contains, sed, comment, uncomment, first } from './ops/files/files.ts';
export type { AppendOptions, ContainsOptions, SedOptions, CommentOptions, FileHelperOptions } from './ops/files/files.ts';
export { uploadTemplate, renderTemplate } from './ops/files/template.ts';
export type { UploadTemplateOptions } from './ops/files/template.ts';
// The library: the same operations on hosts of your choosing, from any Node program (docs/library.md).
export { Connection, connect } from './api/connection.ts';
export type { ConnectionOptions } from './api/options.ts';
export type { OutputOptions } from './api/output.ts';
export { Group, GroupResult, GroupError } from './api/group.ts';
export type { GroupOptions } from './api/group.ts';
export { Pool, createPool } from './api/pool.ts';
export type { HostKeyPolicy } from './ssh/host-key-policy.ts';
