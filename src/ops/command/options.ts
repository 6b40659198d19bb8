import { DEFAULTS } from '../../config/schema.ts';
import { currentScope } from '../../env/context.ts';
import { env } from '../../env/env.ts';
import type { CommandOptions, CommandSpec } from './command.ts';

/** Normalizes per-call options against env and the current scope: the code past this trusts the types. */
export function commandSettings(options: CommandOptions): Pick<CommandSpec, 'warnOnly' | 'okReturnCodes' | 'timeout' | 'stdin' | 'hide' | 'responders' | 'maxCapture' | 'dryRun'> {
  const okReturnCodes = (env.okReturnCodes as number[] | undefined) ?? [0];
  return {
    warnOnly: options.warnOnly ?? Boolean(env.warnOnly),
    okReturnCodes: options.okReturnCodes ?? (okReturnCodes.length ? okReturnCodes : [0]),
    timeout: options.timeout ?? (env.commandTimeout as number | undefined),
    stdin: options.stdin,
    hide: options.hide,
    responders: [...currentScope().responders, ...(options.responders ?? [])],
    maxCapture: (env.maxCapture as number | undefined) ?? DEFAULTS.maxCapture,
    dryRun: Boolean(env.dryRun),
  };
}

/** Splits the two call forms: `op('cmd', opts)` and `` op`cmd ${x}` ``. */
export function commandArguments<O>(first: string | TemplateStringsArray, rest: unknown[], template: (strings: TemplateStringsArray, values: unknown[]) => string): { command: string; options: O } {
  if (typeof first === 'string') return { command: first, options: (rest[0] ?? {}) as O };
  return { command: template(first, rest), options: {} as O };
}
