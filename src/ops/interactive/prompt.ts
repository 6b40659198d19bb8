import { currentHost } from '../../env/context.ts';
import { configuredValue, env } from '../../env/env.ts';
import { FabError, describeError } from '../../errors.ts';
import { readLine } from './terminal-input.ts';
import { terminalUnavailable, withTerminal } from './terminal.ts';

/** A check of an answer: a RegExp the whole answer must match, or a function (inquirer style). */
export type Validator = RegExp | ((answer: string) => boolean | string | void);

export interface PromptOptions {
  /** Store the answer in env[key]; a value already set there (--set, config, an earlier answer) is used without asking. */
  key?: string;
  /** The answer when the person just presses Enter; shown in brackets. */
  default?: string;
  /** A RegExp the whole answer must match, or a function returning true/undefined (valid), false or an error message. */
  validate?: Validator;
  /** Read without echo (passwords). */
  secret?: boolean;
}

/** One question as the terminal sees it. `remedy` tells what to set instead when no one can answer. */
export interface Question {
  host: string | undefined;
  text: string;
  default?: string;
  secret?: boolean;
  /** Returns an error message for a bad answer, undefined for a good one. */
  check?: (answer: string) => string | undefined;
  remedy: string;
}

function anchored(pattern: RegExp): RegExp {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ''));
}

/** What is wrong with an answer under a validator, or undefined when nothing is. */
export function validationProblem(answer: string, validate: Validator | undefined, secret = false): string | undefined {
  if (validate === undefined) return undefined;
  const shown = secret ? 'the answer' : JSON.stringify(answer);
  if (validate instanceof RegExp) return anchored(validate).test(answer) ? undefined : `${shown} does not match ${String(validate)}`;
  try {
    const verdict = validate(answer);
    if (verdict === false) return `${shown} is not a valid answer`;
    return typeof verdict === 'string' ? verdict : undefined;
  } catch (error) {
    return describeError(error);
  }
}

/**
 * Asks one question at the terminal, one question at a time across hosts, naming the host that asks;
 * asks again while the answer is invalid. Fails at once (PROMPT) when no one can answer.
 */
export async function ask(question: Question): Promise<string> {
  const reason = terminalUnavailable();
  if (reason) {
    throw new FabError('PROMPT', `${question.host ?? 'fab'} asks '${question.text.trim()}' but ${reason}; ${question.remedy}`, question.host ? { host: question.host } : {});
  }
  return withTerminal(question.host, async (terminal) => {
    const label = question.host ? `[${question.host}] ` : '';
    const text = question.text.endsWith(' ') ? question.text : `${question.text} `;
    const shownDefault = question.default !== undefined && !question.secret ? `[${question.default}] ` : '';
    for (;;) {
      terminal.questions.write(`${label}${text}${shownDefault}`);
      let answer = await readLine(terminal, { secret: Boolean(question.secret) });
      if (answer === '' && question.default !== undefined) answer = question.default;
      const problem = question.check?.(answer);
      if (problem === undefined) return answer;
      terminal.questions.write(`${label}${problem}; try again.\n`);
    }
  });
}

/**
 * Asks the person at the terminal and returns the answer (Fabric's prompt). With `key`, the answer is
 * stored in env[key], and a value already set there is used without asking. With no terminal, or with
 * --abort-on-prompts, it fails at once with an error that says what to set instead.
 */
export async function prompt(text: string, options: PromptOptions = {}): Promise<string> {
  const host = currentHost()?.text;
  const { key, validate } = options;
  if (key !== undefined) {
    const preset = configuredValue<unknown>(key);
    if (preset !== undefined && preset !== null) {
      const value = String(preset);
      const problem = validationProblem(value, validate, options.secret);
      if (problem) throw new FabError('PROMPT', `env.${key} is set but not a valid answer to '${text.trim()}': ${problem}`, host ? { host } : {});
      return value;
    }
  }
  const answer = await ask({
    host,
    text,
    ...(options.default !== undefined ? { default: options.default } : {}),
    secret: Boolean(options.secret),
    check: (value) => validationProblem(value, validate, options.secret),
    remedy: key !== undefined ? `set env.${key} with --set ${key}=...` : 'run fab at a terminal (give the prompt a key to allow --set)',
  });
  if (key !== undefined) env[key] = answer;
  return answer;
}

const YES = /^(y|yes)$/i;
const NO = /^(n|no)$/i;

/** Asks a yes/no question (Fabric's confirm); Enter gives the default. Fails like prompt() with no terminal. */
export async function confirm(question: string, defaultValue = true): Promise<boolean> {
  const answer = (
    await ask({
      host: currentHost()?.text,
      text: `${question.trim()} ${defaultValue ? '[Y/n]' : '[y/N]'}`,
      check: (value) => (value.trim() === '' || YES.test(value.trim()) || NO.test(value.trim()) ? undefined : 'please answer y or n'),
      remedy: 'run fab at a terminal to answer it',
    })
  ).trim();
  return answer === '' ? defaultValue : YES.test(answer);
}
