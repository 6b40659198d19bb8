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
export { local } from './ops/local.ts';
export { run } from './ops/run.ts';
export { sudo } from './ops/sudo.ts';
export type { SudoOptions } from './ops/sudo.ts';
export type { CommandOptions } from './ops/command.ts';
export { respond, failOn } from './ops/responders.ts';
export type { Responder } from './ops/responders.ts';
export { abort, warn } from './ops/messages.ts';
export { prompt, confirm } from './ops/prompt.ts';
export type { PromptOptions, Validator } from './ops/prompt.ts';
export { openShell } from './ops/shell.ts';
export { reboot } from './ops/reboot.ts';
export type { RebootOptions } from './ops/reboot.ts';
export { forwardLocal, forwardRemote } from './ops/forward.ts';
export type { LocalForward, RemoteForward } from './ops/forward.ts';
export { quote } from './ops/quote.ts';
export { Result } from './ops/result.ts';
export { FabError, CommandError, AbortError, UsageError } from './errors.ts';
export { put } from './ops/put.ts';
export type { PutOptions } from './ops/put.ts';
export { get } from './ops/get.ts';
export type { GetOptions } from './ops/get.ts';
export { TransferResult } from './ops/transfer-result.ts';
export type { TransferredFile } from './ops/transfer-result.ts';
export { listdir, stat, exists, isDir, isLink, mkdir, remove, rename, readFile, writeFile } from './ops/remote-fs.ts';
export type { RemoteStat, TestOptions } from './ops/remote-fs.ts';
export { append, contains, sed, comment, uncomment, first } from './ops/files.ts';
export type { AppendOptions, ContainsOptions, SedOptions, CommentOptions, FileHelperOptions } from './ops/files.ts';
export { uploadTemplate, renderTemplate } from './ops/template.ts';
export type { UploadTemplateOptions } from './ops/template.ts';
// The library: the same operations on hosts of your choosing, from any Node program (docs/library.md).
export { Connection, connect } from './api/connection.ts';
export type { ConnectionOptions } from './api/options.ts';
export type { OutputOptions } from './api/output.ts';
export { Group, GroupResult, GroupError } from './api/group.ts';
export type { GroupOptions } from './api/group.ts';
export { Pool, createPool } from './api/pool.ts';
export { Run, createRun } from './api/run.ts';
export type { RunOptions } from './api/run.ts';
export type { FabEvent, EventListener } from './report/events.ts';
export type { HostKeyPolicy } from './ssh/host-key-policy.ts';
