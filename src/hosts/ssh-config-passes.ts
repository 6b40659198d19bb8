// One reading of the config for one host (readconf.c): which Host and Match blocks apply, and which values stick.
import { hostLineMatches, matchHostname, matchPatternList } from './patterns.ts';
import { configError, type ConfigEntry, type ConfigLocation, type MatchCriterion } from './ssh-config-file.ts';
import type { OptionKey, OptionValues, ParsedOption } from './ssh-config-options.ts';
import { percentExpand, TokenError } from './tokens.ts';

export type Obtained = { [K in OptionKey]?: { value: OptionValues[K]; at: ConfigLocation } };

export interface PassState {
  obtained: Obtained;
  identityFiles: { value: string; at: ConfigLocation }[];
  /** proxyjump and proxycommand share one slot: the first of them wins, `none` included. */
  proxy?: ParsedOption & { key: 'proxyjump' | 'proxycommand' };
  proxyAt?: ConfigLocation;
  wantFinalPass: boolean;
}

export interface PassContext {
  /** What Host lines match: the typed host, then in the final pass the settled host name. */
  host: string;
  originalHost: string;
  finalPass: boolean;
  localUser: string;
}

const MAX_IDENTITY_FILES = 100; // SSH_MAX_IDENTITY_FILES

function apply(option: ParsedOption, at: ConfigLocation, state: PassState): void {
  if (option.key === 'identityfile') {
    if (state.identityFiles.some((file) => file.value === option.value)) return;
    if (state.identityFiles.length >= MAX_IDENTITY_FILES) throw configError(at, `more than ${MAX_IDENTITY_FILES} IdentityFile`);
    state.identityFiles.push({ value: option.value, at });
  } else if (option.key === 'proxyjump' || option.key === 'proxycommand') {
    if (state.proxy === undefined) {
      state.proxy = option;
      state.proxyAt = at;
    }
  } else if (state.obtained[option.key] === undefined) {
    (state.obtained as Record<string, unknown>)[option.key] = { value: option.value, at };
  }
}

/** match_cfg_line(): every criterion must hold. Criteria fabts cannot evaluate (exec, localnetwork, tagged) fail the line. */
function matchLineMatches(criteria: readonly MatchCriterion[], state: PassState, ctx: PassContext): boolean {
  const hostname = state.obtained.hostname?.value;
  // OpenSSH's rule: Match host sees the HostName obtained so far, with %h expanded.
  const host = ctx.finalPass || hostname === undefined ? (hostname ?? ctx.host) : expandHostName(hostname, ctx.host, state.obtained.hostname?.at);
  const user = state.obtained.user?.value ?? ctx.localUser;
  let result = true;
  for (const criterion of criteria) {
    let matched: boolean;
    switch (criterion.name) {
      case 'all':
        matched = true;
        break;
      case 'canonical':
      case 'final':
        if (criterion.name === 'final' && !criterion.negated) state.wantFinalPass = true;
        matched = ctx.finalPass;
        break;
      case 'host':
        matched = matchHostname(host, criterion.argument ?? '');
        break;
      case 'originalhost':
        matched = matchHostname(ctx.originalHost, criterion.argument ?? '');
        break;
      case 'user':
        matched = matchPatternList(user, criterion.argument ?? '', false) === 1;
        break;
      case 'localuser':
        matched = matchPatternList(ctx.localUser, criterion.argument ?? '', false) === 1;
        break;
      default:
        result = false;
        continue;
    }
    if (matched === criterion.negated) result = false;
  }
  return result;
}

export function runPass(entries: readonly ConfigEntry[], state: PassState, ctx: PassContext, active: boolean, neverMatch: boolean): void {
  for (const entry of entries) {
    switch (entry.kind) {
      case 'host':
        active = !neverMatch && hostLineMatches(entry.patterns, ctx.host);
        break;
      case 'match': {
        const matched = matchLineMatches(entry.criteria, state, ctx);
        active = !neverMatch && matched;
        break;
      }
      case 'include': {
        // An Include applies when its block does; the included file's Host/Match lines do not leak out of it.
        const outer = active;
        for (const file of entry.files) {
          runPass(file.entries, state, ctx, outer, neverMatch || !outer);
        }
        active = outer;
        break;
      }
      case 'option':
        if (active) apply(entry.option, entry.at, state);
        break;
    }
  }
}

export function expanded<T>(at: ConfigLocation | undefined, what: string, expand: () => T): T {
  try {
    return expand();
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    throw configError(at ?? { file: 'ssh config', line: 0 }, `${what}: ${error.message}`);
  }
}

export function expandHostName(value: string, host: string, at: ConfigLocation | undefined): string {
  return expanded(at, 'HostName', () => percentExpand(value, { h: host }));
}
