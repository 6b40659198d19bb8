import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { redact } from '../env/env.ts';
import { describeError } from '../errors.ts';
import type { EventBus, FabEvent } from './events.ts';
import { runDocument } from './json.ts';
import { jsonSafe } from './json-safe.ts';
import { RunRecorder } from './record.ts';

/** What the run was asked to do, for the run-start line: targets and the settings that shape it (secrets as ***). */
export interface RunMeta {
  fabfile?: string;
  hosts?: string[];
  roles?: string[];
  excludeHosts?: string[];
  options?: Record<string, unknown>;
}

/** Version of the line format; a reader that sees a newer one should warn. */
export const EVENTS_FORMAT = 1;

/**
 * One event as the JSON object `--events` writes: the event's own fields (a discriminated union on `kind`), with
 * what JSON cannot carry made plain: output as text (its bytes are the log file's business), a command's result
 * as its exit status (its output already went by as output events), a task's value through jsonSafe.
 */
export function eventRecord(event: FabEvent): Record<string, unknown> {
  switch (event.kind) {
    case 'output': {
      const { bytes: _bytes, ...rest } = event;
      return rest;
    }
    case 'command-end': {
      const { result } = event;
      return {
        kind: event.kind,
        host: event.host,
        runner: event.runner,
        command: result.command,
        exitCode: result.code,
        signal: result.signal,
        ok: result.ok,
        durationMs: Math.round(result.durationMs),
        dryRun: result.dryRun,
      };
    }
    case 'task-end':
      return { ...event, durationMs: Math.round(event.durationMs), value: jsonSafe(event.value) };
    default:
      return { ...event };
  }
}

/**
 * `fab --events FILE|-`: the run as JSON lines while it goes, one event a line, each with `time`; the
 * run-start line carries the targets and settings (redacted as `--json` and `--log-dir` are), the run-end line
 * the exit code and the same summary document `--json` prints. A file is written with one write() per event,
 * so a reader (fab serve) never sees half a line and a crash loses nothing already written.
 */
export class EventsWriter {
  private readonly recorder = new RunRecorder();
  private meta: RunMeta = {};
  private ended = false;
  private readonly fd: number | undefined;
  /** The stream's own write, taken now: with `--events -`, what the fabfile prints to stdout is sent to stderr during the run. */
  private readonly write: ((text: string) => unknown) | undefined;

  private constructor(private readonly out: Writable | undefined, file: string | undefined) {
    this.fd = file === undefined ? undefined : openSync(file, 'w', 0o600);
    this.write = out?.write.bind(out);
    // The reader went away (fab serve died): the run notices through its parent watch, not through a crash here.
    out?.on('error', () => {});
  }

  static toFile(file: string): EventsWriter {
    return new EventsWriter(undefined, file);
  }

  static toStream(out: Writable): EventsWriter {
    return new EventsWriter(out, undefined);
  }

  setMeta(meta: RunMeta): void {
    this.meta = { ...meta, ...(meta.options ? { options: redact(meta.options) } : {}) };
  }

  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => this.handle(event));
  }

  handle(event: FabEvent): void {
    this.recorder.handle(event);
    const record = eventRecord(event);
    if (event.kind === 'run-start') Object.assign(record, { format: EVENTS_FORMAT, pid: process.pid, ...this.meta });
    if (event.kind === 'run-end') {
      this.ended = true;
      record.summary = runDocument(this.recorder, event.exitCode, { dryRun: this.meta.options?.dryRun === true });
    }
    this.line(record);
  }

  /** The run could not start (no fabfile, bad flag, unknown task): the one line a reader gets is run-end with the error. */
  fail(exitCode: number, error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.line({ kind: 'run-end', exitCode, error: describeError(error), ...(isCoded(error) ? { code: error.code } : {}) });
  }

  private line(record: Record<string, unknown>): void {
    const text = `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`;
    if (this.fd !== undefined) writeSync(this.fd, text);
    else if (this.out && !this.out.destroyed) this.write?.(text);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

function isCoded(error: unknown): error is { code: string } {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}
