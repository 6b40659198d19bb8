import type { Writable } from 'node:stream';
import type { EventBus, FabEvent } from './events.ts';
import { isHidden } from './levels.ts';
import { paint, type Color } from './color.ts';

const STREAM_LABEL = { stdout: 'out', stderr: 'err' } as const;

/** A line of output longer than this is printed in pieces of this many characters, so none is held whole in memory. */
export const LINE_PIECE = 64 * 1024;

/** A running transfer prints a percent line at most this often (plus its final line). */
export const TRANSFER_LINE_INTERVAL_MS = 1000;

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MiB`;
}

/**
 * The line reporter (no TTY, CI, --linewise): one line per line of output, each prefixed with its host
 * and stream, Fabric style (`[web1] run: cmd`, `[web1] out: ...`). Partial lines are held per host and
 * stream until complete, so lines from parallel hosts never mix inside a line.
 */
export class LineReporter {
  private readonly partial = new Map<string, string>();
  /** Events held back while a question or a shell has the terminal, printed once it is given back. */
  private held: FabEvent[] | undefined;
  /** When each running transfer last printed (or started). */
  private readonly transfers = new Map<string, number>();

  constructor(
    private readonly out: Writable,
    private readonly err: Writable,
    private readonly color: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => this.handle(event));
  }

  private prefix(host: string | undefined): string {
    return paint(this.color, 'cyan', `[${host ?? 'localhost'}]`);
  }

  private line(stream: Writable, host: string | undefined, label: string, text: string, color?: Color): void {
    const labelText = color ? paint(this.color, color, label) : label;
    stream.write(`${this.prefix(host)} ${labelText} ${text}\n`);
  }

  private output(host: string | undefined, name: 'stdout' | 'stderr', text: string, hidden: boolean): void {
    const key = `${host ?? ''}\u0000${name}`;
    if (hidden) {
      this.partial.delete(key);
      return;
    }
    const pending = (this.partial.get(key) ?? '') + text;
    const lines = pending.split(/\r?\n/);
    let rest = lines.pop() ?? '';
    while (rest.length >= LINE_PIECE) {
      lines.push(rest.slice(0, LINE_PIECE));
      rest = rest.slice(LINE_PIECE);
    }
    this.partial.set(key, rest);
    for (const line of lines) this.line(this.out, host, `${STREAM_LABEL[name]}:`, line.replace(/\r/g, ''), name === 'stderr' ? 'red' : undefined);
  }

  private flush(host: string | undefined, hidden: { stdout: boolean; stderr: boolean }): void {
    for (const name of ['stdout', 'stderr'] as const) {
      const key = `${host ?? ''}\u0000${name}`;
      const rest = this.partial.get(key);
      this.partial.delete(key);
      if (rest && !hidden[name]) this.line(this.out, host, `${STREAM_LABEL[name]}:`, rest, name === 'stderr' ? 'red' : undefined);
    }
  }

  /** The final line of each transfer, and for long ones a percent line at most once a second before it. */
  private transfer(event: Extract<FabEvent, { kind: 'transfer' }>): void {
    const key = `${event.host ?? ''}\u0000${event.direction}\u0000${event.local}\u0000${event.remote}`;
    const what = event.direction === 'put' ? `${event.local} -> ${event.remote}` : `${event.remote} -> ${event.local}`;
    const hidden = isHidden('running');
    if (event.done) {
      this.transfers.delete(key);
      if (!hidden && event.error === undefined) this.line(this.out, event.host, `${event.direction}:`, what);
      return;
    }
    const now = this.now();
    const last = this.transfers.get(key);
    if (last === undefined) {
      this.transfers.set(key, now);
      return;
    }
    if (now - last < TRANSFER_LINE_INTERVAL_MS || hidden) return;
    this.transfers.set(key, now);
    const amount = event.total > 0 ? `${Math.floor((event.bytes / event.total) * 100)}% (${mib(event.bytes)} of ${mib(event.total)})` : mib(event.bytes);
    this.line(this.out, event.host, `${event.direction}:`, `${what} ${paint(this.color, 'dim', amount)}`);
  }

  private lock(event: Extract<FabEvent, { kind: 'lock' }>): void {
    const what = `${event.name} lock`;
    if (event.state === 'acquired') this.out.write(`lock: took the ${what} on ${event.hosts.join(', ')} (run ${event.runId})\n`);
    else if (event.state === 'released') this.out.write(`lock: released the ${what} on ${event.hosts.join(', ')}\n`);
    else if (event.state === 'waiting') this.err.write(`lock: waiting for the ${what} on ${event.host ?? '?'}: ${event.message ?? 'held'}\n`);
    else this.err.write(`${paint(this.color, 'red', 'lock lost:')} ${event.message ?? what}; no further batch starts\n`);
  }

  handle(event: FabEvent): void {
    if (event.kind === 'prompt') {
      if (event.state === 'start') this.held ??= [];
      else {
        const held = this.held ?? [];
        this.held = undefined;
        for (const later of held) this.handle(later);
      }
      return;
    }
    if (this.held) {
      this.held.push(event);
      return;
    }
    switch (event.kind) {
      case 'command':
        if (!event.hidden) this.line(this.out, event.host, `${event.runner}:`, event.dryRun ? `${event.command} ${paint(this.color, 'dim', '(dry run)')}` : event.command, 'bold');
        break;
      case 'output':
        this.output(event.host, event.stream, event.text, event.hidden);
        break;
      case 'command-end':
        this.flush(event.host, { stdout: false, stderr: false });
        break;
      case 'task-start':
        if (!isHidden('status') && event.host) this.line(this.out, event.host, 'Executing task', `'${event.task}'`);
        break;
      case 'task-end':
        if (!event.ok && !event.skipped && event.error) {
          this.err.write(`${this.prefix(event.host)} ${paint(this.color, 'red', event.status === 'interrupted' ? 'Interrupted:' : 'Failed:')} ${event.task}: ${event.error}\n`);
        }
        break;
      case 'batch-start':
        if (!isHidden('status')) this.out.write(`${paint(this.color, 'bold', `batch ${event.batch}/${event.batches}:`)} ${event.hosts.join(', ')}\n`);
        break;
      case 'batch-end':
        if (event.stopped) this.err.write(`${paint(this.color, 'red', `batch ${event.batch}/${event.batches}:`)} no further batch starts: ${event.stopped}\n`);
        break;
      case 'gate':
        if (event.ok) {
          if (!isHidden('status')) this.line(this.out, event.host, 'gate:', `passed ${event.gate} (${event.message}${event.attempts > 1 ? `, attempt ${event.attempts}` : ''})`, 'green');
        } else this.err.write(`${this.prefix(event.host)} ${paint(this.color, 'red', 'gate failed:')} ${event.gate}: ${event.message} (${event.attempts} attempt${event.attempts === 1 ? '' : 's'})\n`);
        break;
      case 'lock':
        // Losing the lock is a warning whatever else is hidden; taking and releasing it are status.
        if (event.state === 'lost' ? !isHidden('warnings') : !isHidden('status')) this.lock(event);
        break;
      case 'interrupt':
        this.err.write(`${paint(this.color, 'yellow', `fab: interrupted${event.signal === 'SIGTERM' ? ' by SIGTERM' : ''}:`)} ending the running commands (${event.signal === 'SIGTERM' ? 'another SIGTERM or Ctrl-C' : 'Ctrl-C again'} quits at once)\n`);
        break;
      case 'warning':
        if (!isHidden('warnings')) this.err.write(`${this.prefix(event.host)} ${paint(this.color, 'yellow', 'Warning:')} ${event.message}\n`);
        break;
      case 'status':
        if (!isHidden('status')) this.line(this.out, event.host, '', event.message);
        break;
      case 'banner':
        // On stderr, as ssh shows it.
        if (!isHidden('status')) for (const line of event.message.trimEnd().split('\n')) this.err.write(`${this.prefix(event.host)} ${line}\n`);
        break;
      case 'transfer':
        this.transfer(event);
        break;
      case 'answer':
        if (!isHidden('debug')) this.line(this.out, event.host, 'answer:', `${event.pattern} -> ${JSON.stringify(event.answer)}`, 'dim');
        break;
      case 'debug':
        if (!isHidden('debug')) this.line(this.err, event.host, 'debug:', event.message, 'dim');
        break;
      case 'connect':
        if (!isHidden('debug')) this.line(this.err, event.host, 'ssh:', `${event.state}${event.via ? ` via ${event.via}` : ''}${event.message ? `: ${event.message}` : ''}`, 'dim');
        break;
      default:
        break;
    }
  }
}

