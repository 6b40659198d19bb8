import { AsyncResource } from 'node:async_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { CommandError, FabError } from '../../errors.ts';
import { events, type Runner } from '../../report/events.ts';
import { isHidden } from '../../report/levels.ts';
import { Result } from './result.ts';
import { interruptedError, isInterrupted, trackProcess } from './abort.ts';
import { ResponderSet, type Responder } from './responders.ts';
import { LineEnds, TextScrubber } from './scrub.ts';

/** A started process, local or remote: the only things the shared IO loop needs from a backend. */
export interface CommandProcess {
  stdout: Readable;
  /** Absent with a pty, where stderr arrives mixed into stdout. */
  stderr: Readable | undefined;
  write(data: string | Buffer): void;
  endInput(): void;
  /** Settles when the process has exited and its output streams have ended. */
  exit: Promise<{ code: number | null; signal: string | null }>;
  /** Ends the process (and, remotely, its channel). */
  terminate(): void;
}

export type HideOption = boolean | 'stdout' | 'stderr' | 'both' | 'out' | 'err';

/** Options shared by run, sudo and local (API.md "Run options"). */
export interface CommandOptions {
  warnOnly?: boolean;
  okReturnCodes?: number[];
  /** Seconds; the command is ended and a TIMEOUT error thrown when it runs longer. */
  timeout?: number;
  env?: Record<string, string>;
  stdin?: string | Buffer | Readable;
  hide?: HideOption;
  responders?: Responder[];
  pty?: boolean;
  shell?: string;
  cwd?: string;
}

export interface CommandSpec {
  runner: Runner;
  /** Host label for events and the Result (`localhost` for local). */
  host: string;
  /** The command as the user wrote it, for display and errors. */
  command: string;
  /** `signal` aborts (with the TIMEOUT error) when the timeout ends while the process is still being started (waiting for a channel). */
  start(signal?: AbortSignal): Promise<CommandProcess>;
  /** Opens the host's connection without running anything: --dry-run still connects (and fails like a real run). */
  connect?(): Promise<unknown>;
  warnOnly: boolean;
  okReturnCodes: readonly number[];
  timeout: number | undefined;
  stdin: string | Buffer | Readable | undefined;
  hide: HideOption | undefined;
  responders: readonly Responder[];
  /** Largest stdout/stderr kept in the Result, in bytes; the tail is kept beyond it. */
  maxCapture: number;
  dryRun: boolean;
  /** Text cut out of the output (captured and shown) wherever it appears: sudo's prompt. Responders still see it. */
  hiddenText?: string;
  /** The process runs on a pty: its `\r\n` line ends become `\n`, and the line end after hiddenText goes with it. */
  pty?: boolean;
  /** Turns a second appearance of the sudo prompt into a clear error, and the like. */
  onResponderMatch?: (match: { responder: Responder; count: number }) => FabError | undefined;
}

/** Keeps the last `limit` bytes of a stream's output. */
class Capture {
  private chunks: string[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  add(text: string): void {
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
      this.truncated = true;
    }
    if (this.size > this.limit) {
      const only = this.chunks[0]!;
      this.chunks[0] = only.slice(only.length - this.limit);
      this.size = this.limit;
      this.truncated = true;
    }
  }
  text(): string {
    return this.chunks.join('');
  }
}

function streamHidden(hide: HideOption | undefined, stream: 'stdout' | 'stderr'): boolean {
  if (hide === true || hide === 'both') return true;
  if (hide === 'stdout' || hide === 'out') return stream === 'stdout';
  if (hide === 'stderr' || hide === 'err') return stream === 'stderr';
  return isHidden(stream);
}

export function lastLines(text: string, count: number): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.slice(-count).join('\n');
}

/** The one place a failed command's error is built: the command, the host, the exit, the tail of stderr. */
export function commandFailure(result: Result): CommandError {
  const status = result.code !== null ? `exit code ${result.code}` : result.signal ? `signal ${result.signal}` : 'no exit status';
  const where = result.host === 'localhost' ? 'locally' : `on ${result.host}`;
  const tail = lastLines(result.stderr || result.stdout, 5);
  const message = `command failed ${where} with ${status}: ${result.command}${tail ? `\n${tail}` : ''}`;
  return new CommandError(result, message);
}

/**
 * The IO loop written once for every runner: echo, capture, responders, stdin, timeout, Result and error.
 * Backends only start the process, read, write and report exit.
 */
export async function executeCommand(spec: CommandSpec): Promise<Result> {
  const started = performance.now();
  const host = spec.host === 'localhost' ? undefined : spec.host;
  if (isInterrupted()) throw interruptedError(host);
  events.emit({ kind: 'command', host, runner: spec.runner, command: spec.command, dryRun: spec.dryRun, hidden: isHidden('running') });
  if (spec.dryRun) {
    await spec.connect?.();
    const result = new Result({ host: spec.host, command: spec.command, stdout: '', stderr: '', code: 0, durationMs: 0, ok: true, dryRun: true });
    events.emit({ kind: 'command-end', host, runner: spec.runner, result });
    return result;
  }

  // The timeout counts from here: waiting for a channel (a server allowing few at once) is part of the command's time.
  let timedOut = false;
  let proc: CommandProcess | undefined;
  const starting = new AbortController();
  const timer =
    spec.timeout && spec.timeout > 0
      ? setTimeout(() => {
          timedOut = true;
          const error = new FabError('TIMEOUT', `command timed out after ${spec.timeout}s ${host ? `on ${host}` : 'locally'}: ${spec.command}`, host ? { host } : {});
          if (proc) fail(error);
          else starting.abort(error);
        }, spec.timeout * 1000)
      : undefined;
  try {
    proc = await spec.start(starting.signal);
  } catch (error) {
    if (timer) clearTimeout(timer);
    throw error;
  }
  const running = proc;
  const untrack = trackProcess(running);
  const captures = { stdout: new Capture(spec.maxCapture), stderr: new Capture(spec.maxCapture) };
  const responders = new ResponderSet(spec.responders);
  const counts = new Map<Responder, number>();
  let failure: FabError | undefined;

  function fail(error: FabError): void {
    if (failure) return;
    failure = error;
    proc?.terminate();
  }

  // Answers are written in the order their prompts appeared, also when one has to be awaited. Output
  // events come in the connection's async context: an answer function runs in this command's (its host, env).
  const inCommandContext = AsyncResource.bind((fn: () => string | Promise<string>) => fn());
  let answering: Promise<void> = Promise.resolve();
  const answer = (responder: Responder, text: NonNullable<Responder['answer']>) => {
    answering = answering
      .then(() => (typeof text === 'function' ? inCommandContext(text) : text))
      .then((value) => {
        if (failure) return;
        running.write(value);
        events.emit({ kind: 'answer', host, pattern: String(responder.pattern), answer: responder.secret ? '***' : value, secret: Boolean(responder.secret) });
      })
      .catch((error: unknown) => fail(error instanceof FabError ? error : new FabError('COMMAND_FAILED', `a responder for ${String(responder.pattern)} failed ${host ? `on ${host}` : 'locally'}: ${(error as Error).message}`, host ? { host } : {})));
  };

  const scrubbers = spec.hiddenText ? { stdout: new TextScrubber(spec.hiddenText, spec.pty), stderr: new TextScrubber(spec.hiddenText, spec.pty) } : undefined;
  const lineEnds = spec.pty ? new LineEnds() : undefined;
  const show = (stream: 'stdout' | 'stderr', text: string, bytes: Buffer) => {
    const scrubbed = scrubbers ? scrubbers[stream].push(text) : text;
    const shown = lineEnds && stream === 'stdout' ? lineEnds.push(scrubbed) : scrubbed;
    if (!shown) return;
    captures[stream].add(shown);
    events.emit({ kind: 'output', host, stream, text: shown, bytes: shown === text ? bytes : Buffer.from(shown), hidden: streamHidden(spec.hide, stream) });
  };

  const onData = (stream: 'stdout' | 'stderr', decoder: StringDecoder) => (bytes: Buffer) => {
    const text = decoder.write(bytes);
    show(stream, text, bytes);
    for (const match of responders.feed(stream, text)) {
      const count = (counts.get(match.responder) ?? 0) + 1;
      counts.set(match.responder, count);
      const veto = spec.onResponderMatch?.({ responder: match.responder, count });
      if (veto) return fail(veto);
      if (match.responder.fail) {
        return fail(new FabError('COMMAND_FAILED', `output matched ${String(match.responder.pattern)} (failOn) ${host ? `on ${host}` : 'locally'}: ${spec.command}`, host ? { host } : {}));
      }
      if (match.responder.answer !== undefined) answer(match.responder, match.responder.answer);
    }
  };
  const stdoutDecoder = new StringDecoder('utf8');
  const stderrDecoder = new StringDecoder('utf8');
  // Bound to this command's async context: the channel's data arrives in the context of whoever opened the
  // pooled connection, and hide()/show() and reporters must see this command's task, host and scope.
  running.stdout.on('data', AsyncResource.bind(onData('stdout', stdoutDecoder)));
  running.stderr?.on('data', AsyncResource.bind(onData('stderr', stderrDecoder)));

  if (spec.stdin !== undefined) {
    if (typeof spec.stdin === 'string' || Buffer.isBuffer(spec.stdin)) {
      running.write(spec.stdin);
      if (responders.empty) running.endInput();
    } else {
      spec.stdin.on('data', (chunk: Buffer) => running.write(chunk));
      spec.stdin.on('end', () => responders.empty && running.endInput());
    }
  } else if (responders.empty) {
    running.endInput();
  }

  let exit: { code: number | null; signal: string | null };
  try {
    exit = await running.exit;
  } finally {
    if (timer) clearTimeout(timer);
    untrack();
  }
  for (const [stream, decoder] of [['stdout', stdoutDecoder], ['stderr', stderrDecoder]] as const) {
    // The decoder's tail is an incomplete character whose raw bytes went out already; held-back text did not.
    const decoded = decoder.end();
    const scrubbed = scrubbers ? scrubbers[stream].push(decoded) + scrubbers[stream].end() : decoded;
    const rest = lineEnds && stream === 'stdout' ? lineEnds.push(scrubbed) + lineEnds.end() : scrubbed;
    if (rest) {
      captures[stream].add(rest);
      events.emit({ kind: 'output', host, stream, text: rest, bytes: scrubbers || lineEnds ? Buffer.from(rest) : Buffer.alloc(0), hidden: streamHidden(spec.hide, stream) });
    }
  }

  const ok = !timedOut && failure === undefined && exit.code !== null && spec.okReturnCodes.includes(exit.code);
  const result = new Result({
    host: spec.host,
    command: spec.command,
    stdout: captures.stdout.text(),
    stderr: captures.stderr.text(),
    code: exit.code,
    signal: exit.signal,
    durationMs: performance.now() - started,
    ok,
    truncated: captures.stdout.truncated || captures.stderr.truncated,
  });
  events.emit({ kind: 'command-end', host, runner: spec.runner, result });
  if (failure) throw failure;
  if (isInterrupted() && !ok) throw interruptedError(host);
  if (!ok && !spec.warnOnly) throw commandFailure(result);
  if (!ok) events.emit({ kind: 'warning', host, message: commandFailure(result).message.split('\n')[0]! });
  return result;
}
