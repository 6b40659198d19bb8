/**
 * The pexpect side of fabts: a responder watches a command's output and answers a prompt when its
 * pattern appears, or (failOn) ends the command with an error.
 */
export interface Responder {
  readonly pattern: RegExp;
  /**
   * Text written to the command's stdin on each match; absent for failOn. A function is called on each
   * match and may take its time (e.g. asking at the terminal); its error ends the command.
   */
  readonly answer?: string | (() => string | Promise<string>);
  /** Answer only the first match. */
  readonly once?: boolean;
  /** The answer is a secret: logs and events show *** instead. */
  readonly secret?: boolean;
  /** End the command with an error when the pattern appears. */
  readonly fail?: boolean;
  /** Which streams to watch; both by default. */
  readonly streams?: readonly ('stdout' | 'stderr')[];
}

function toRegExp(pattern: RegExp | string): RegExp {
  return typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
}

/** Answers `answer` each time `pattern` appears in output the responder has not seen yet. */
export function respond(pattern: RegExp | string, answer: string | (() => string | Promise<string>), options: { once?: boolean; secret?: boolean } = {}): Responder {
  return { pattern: toRegExp(pattern), answer, ...options };
}

/** Ends the command with an error naming the pattern when it appears in the output. */
export function failOn(pattern: RegExp | string): Responder {
  return { pattern: toRegExp(pattern), fail: true };
}

export interface ResponderMatch {
  responder: Responder;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** How much unmatched output a responder keeps, so a prompt split across chunks still matches. */
const WINDOW = 64 * 1024;

/**
 * Feeds output to responders. Each responder has its own cursor per stream: it sees only output
 * after its last match, across chunk boundaries, within a bounded window.
 */
export class ResponderSet {
  private readonly buffers = { stdout: '', stderr: '' };
  private readonly starts = { stdout: 0, stderr: 0 };
  private readonly cursors: { stdout: number; stderr: number }[];
  private readonly done: boolean[];

  constructor(private readonly responders: readonly Responder[]) {
    this.cursors = responders.map(() => ({ stdout: 0, stderr: 0 }));
    this.done = responders.map(() => false);
  }

  get empty(): boolean {
    return this.responders.length === 0;
  }

  /** Adds text seen on a stream; returns the matches in the order they occurred. */
  feed(stream: 'stdout' | 'stderr', text: string): ResponderMatch[] {
    if (this.responders.length === 0) return [];
    let buffer = this.buffers[stream] + text;
    if (buffer.length > WINDOW) {
      const drop = buffer.length - WINDOW;
      buffer = buffer.slice(drop);
      this.starts[stream] += drop;
    }
    this.buffers[stream] = buffer;
    const start = this.starts[stream];
    const matches: { at: number; match: ResponderMatch }[] = [];
    this.responders.forEach((responder, index) => {
      if (this.done[index] || (responder.streams && !responder.streams.includes(stream))) return;
      const cursor = this.cursors[index]!;
      const flags = responder.pattern.flags.includes('g') ? responder.pattern.flags : responder.pattern.flags + 'g';
      const regex = new RegExp(responder.pattern.source, flags);
      regex.lastIndex = Math.max(cursor[stream] - start, 0);
      let found: RegExpExecArray | null;
      while ((found = regex.exec(buffer)) !== null) {
        const end = found.index + Math.max(found[0].length, 1);
        cursor[stream] = start + end;
        regex.lastIndex = end;
        matches.push({ at: found.index, match: { responder, stream, text: found[0] } });
        if (responder.once || responder.fail) {
          this.done[index] = true;
          break;
        }
      }
    });
    return matches.sort((a, b) => a.at - b.at).map((entry) => entry.match);
  }
}
