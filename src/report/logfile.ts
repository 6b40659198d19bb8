import { closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { logDirectory, openLog } from './log-open.ts';
import type { EventBus, FabEvent } from './events.ts';
import { formatDuration } from './summary.ts';

const STREAM_LABEL = { stdout: 'out', stderr: 'err' } as const;
const NEWLINE = 0x0a;
/**
 * An output line longer than this goes to the log in pieces of this size, each followed by the record
 * `out: \ line continues`: a command printing one endless line must not hold it all in memory.
 */
export const LOG_LINE_PIECE = 64 * 1024;

/** A host string as a file name: `deploy@web1:2222` -> `deploy@web1_2222`. */
export function logFileName(host: string | undefined): string {
  return `${(host ?? 'localhost').replace(/[^A-Za-z0-9._@-]/g, '_')}.log`;
}

/**
 * `--log-dir DIR`: a log per host (`DIR/<host>.log`: its commands, their output byte for byte, exit
 * statuses, transfers, responder answers with secrets as ***) and a run log (`DIR/run.log`: tasks, hosts,
 * results, warnings, the exit code). Files are created 0600 and appended to, one timestamped record per
 * line; an output line keeps its exact bytes (invalid UTF-8, `\r` and all) after its `out: ` / `err: ` label.
 */
export class LogDirReporter {
  private readonly files = new Map<string, number>();
  /** Bytes of an unfinished output line, per host and stream. */
  private readonly partial = new Map<string, Buffer>();

  private readonly dir: string;

  /** Refuses (UsageError) a directory another user owns or may write to, and a run.log that is not a plain file of ours. */
  constructor(dir: string) {
    this.dir = logDirectory(dir);
    this.fd('run.log');
  }

  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => this.handle(event));
  }

  private fd(name: string): number {
    let fd = this.files.get(name);
    if (fd === undefined) {
      fd = openLog(join(this.dir, name));
      this.files.set(name, fd);
    }
    return fd;
  }

  private write(name: string, text: string, bytes?: Buffer): void {
    const fd = this.fd(name);
    const head = Buffer.from(`${new Date().toISOString()} ${text}`);
    writeSync(fd, bytes ? Buffer.concat([head, bytes]) : Buffer.concat([head, Buffer.from('\n')]));
  }

  private host(host: string | undefined, text: string): void {
    this.write(logFileName(host), text);
  }

  private run(text: string): void {
    this.write('run.log', text);
  }

  /**
   * Complete lines of a chunk become records, written with one write() per chunk (output of a hundred MB
   * comes in many small lines); the unfinished end waits for the next chunk, up to LOG_LINE_PIECE bytes.
   */
  private output(host: string | undefined, stream: 'stdout' | 'stderr', bytes: Buffer): void {
    const key = `${host ?? ''}\u0000${stream}`;
    const held = this.partial.get(key);
    let pending = held?.length ? Buffer.concat([held, bytes]) : bytes;
    const head = Buffer.from(`${new Date().toISOString()} ${STREAM_LABEL[stream]}: `);
    const records: Buffer[] = [];
    for (let end = pending.indexOf(NEWLINE); end !== -1; end = pending.indexOf(NEWLINE)) {
      records.push(head, pending.subarray(0, end + 1));
      pending = pending.subarray(end + 1);
    }
    while (pending.length >= LOG_LINE_PIECE) {
      records.push(head, pending.subarray(0, LOG_LINE_PIECE), Buffer.from(`\n`), head, Buffer.from('\\ line continues\n'));
      pending = pending.subarray(LOG_LINE_PIECE);
    }
    if (records.length > 0) writeSync(this.fd(logFileName(host)), Buffer.concat(records));
    // A copy: the rest must not pin the whole chunk it is a slice of.
    this.partial.set(key, Buffer.from(pending));
  }

  private flush(host: string | undefined): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${host ?? ''}\u0000${stream}`;
      const rest = this.partial.get(key);
      this.partial.delete(key);
      if (!rest?.length) continue;
      this.write(logFileName(host), `${STREAM_LABEL[stream]}: `, Buffer.concat([rest, Buffer.from('\n')]));
      this.host(host, `${STREAM_LABEL[stream]}: \\ no newline at end of output`);
    }
  }

  handle(event: FabEvent): void {
    switch (event.kind) {
      case 'run-start':
        this.run(`run: fab ${event.tasks.join(' ')} (pid ${process.pid}, cwd ${process.cwd()})`);
        break;
      case 'task-plan':
        this.run(`plan: ${event.task} #${event.invocation} on ${event.hosts.join(', ') || 'localhost (no hosts)'}${event.concurrency > 1 ? `, ${event.concurrency} at once` : ''}`);
        break;
      case 'task-start':
        this.run(`start: ${event.task} on ${event.host ?? 'localhost'}`);
        this.host(event.host, `task: ${event.task}`);
        break;
      case 'task-end': {
        const status = event.status ?? (event.ok ? 'ok' : 'failed');
        const why = event.detail ?? event.reason ?? event.error;
        const text = `${status}: ${event.task} on ${event.host ?? 'localhost'} (${formatDuration(event.durationMs)})${why ? `: ${why.replace(/\n/g, '\n    ')}` : ''}`;
        this.run(text);
        if (status !== 'skipped' || event.durationMs > 0) this.host(event.host, text);
        break;
      }
      case 'command':
        this.host(event.host, `${event.runner}: ${event.command}${event.dryRun ? ' (dry run: not executed)' : ''}`);
        break;
      case 'output':
        this.output(event.host, event.stream, event.bytes);
        break;
      case 'command-end': {
        this.flush(event.host);
        const { result } = event;
        const status = result.code !== null ? `exit code ${result.code}` : result.signal ? `signal ${result.signal}` : 'no exit status';
        this.host(event.host, `exit: ${status}${result.ok ? '' : ' (failed)'} after ${Math.round(result.durationMs)} ms`);
        break;
      }
      case 'answer':
        this.host(event.host, `answer: ${event.pattern} -> ${event.secret ? '***' : JSON.stringify(event.answer)}`);
        break;
      case 'transfer':
        if (event.done) this.host(event.host, `${event.direction}: ${event.direction === 'put' ? `${event.local} -> ${event.remote}` : `${event.remote} -> ${event.local}`} (${event.total} bytes)`);
        break;
      case 'connect':
        this.host(event.host, `ssh: ${event.state}${event.via ? ` via ${event.via}` : ''}${event.message ? `: ${event.message}` : ''}`);
        break;
      case 'warning':
        this.run(`warning: ${event.host ? `[${event.host}] ` : ''}${event.message}`);
        if (event.host) this.host(event.host, `warning: ${event.message}`);
        break;
      case 'banner':
      case 'status':
      case 'debug':
        this.host(event.host, `${event.kind}: ${event.message}`);
        break;
      case 'batch-start':
        this.run(`batch ${event.batch}/${event.batches}: ${event.task} on ${event.hosts.join(', ')}`);
        break;
      case 'batch-end':
        this.run(`batch ${event.batch}/${event.batches} done: ${event.failed.length ? `failed on ${event.failed.join(', ')}` : 'no failure'}${event.stopped ? `; no further batch: ${event.stopped}` : ''}`);
        break;
      case 'gate': {
        const text = `gate ${event.ok ? 'passed' : 'failed'}: ${event.gate}: ${event.message} (${event.attempts} attempt${event.attempts === 1 ? '' : 's'})`;
        this.run(`${text} on ${event.host}`);
        this.host(event.host, text);
        break;
      }
      case 'lock':
        this.run(`lock ${event.state}: ${event.name} on ${event.hosts.join(', ')} (run ${event.runId}, ${event.owner})${event.message ? `: ${event.message}` : ''}`);
        break;
      case 'interrupt':
        this.run(`interrupt: ${event.signal === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C'}; ending running commands`);
        break;
      case 'run-end':
        this.run(`end: exit code ${event.exitCode}`);
        break;
      default:
        break;
    }
  }

  close(): void {
    for (const fd of this.files.values()) closeSync(fd);
    this.files.clear();
  }
}
