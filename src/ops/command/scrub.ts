/**
 * Removes every occurrence of one exact string from a stream of text, also when an occurrence is split across
 * chunks: a tail that could be the start of one is held back until the next chunk (or `end()`) decides.
 * Used to keep sudo's password prompt out of captured output and the live display.
 */
export class TextScrubber {
  private held = '';
  /** Set after a removal when `andNewline`: the line end that follows it goes too. */
  private afterNeedle = false;

  /** `andNewline`: also the line end right after each occurrence (a pty's echo of the answer's Enter). */
  constructor(
    private readonly needle: string,
    private readonly andNewline = false,
  ) {}

  push(text: string): string {
    const parts = (this.held + text).split(this.needle);
    let carried = '';
    if (this.andNewline) {
      const last = parts.length - 1;
      for (let i = this.afterNeedle ? 0 : 1; i <= last; i++) {
        // Nothing (or only the \r of a \r\n) after it yet: decided by the next chunk.
        if (i === last && (parts[i] === '' || parts[i] === '\r')) {
          carried = parts[i]!;
          parts[i] = '';
          this.afterNeedle = true;
          break;
        }
        parts[i] = parts[i]!.replace(/^\r?\n/, '');
        this.afterNeedle = false;
      }
    }
    const joined = parts.join('');
    const keep = carried ? 0 : this.partialMatchLength(joined);
    this.held = carried || joined.slice(joined.length - keep);
    return joined.slice(0, joined.length - keep);
  }

  end(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** The length of the longest tail of text that is a proper prefix of the needle. */
  private partialMatchLength(text: string): number {
    for (let length = Math.min(this.needle.length - 1, text.length); length > 0; length--) {
      if (this.needle.startsWith(text.slice(text.length - length))) return length;
    }
    return 0;
  }
}

/** A pty's `\r\n` line ends as `\n`, also when the pair is split across chunks (a lone `\r` stays). */
export class LineEnds {
  private carriage = false;

  push(text: string): string {
    let joined = (this.carriage ? '\r' : '') + text;
    this.carriage = joined.endsWith('\r');
    if (this.carriage) joined = joined.slice(0, -1);
    return joined.replace(/\r\n/g, '\n');
  }

  end(): string {
    const rest = this.carriage ? '\r' : '';
    this.carriage = false;
    return rest;
  }
}
