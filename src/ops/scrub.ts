/**
 * Removes every occurrence of one exact string from a stream of text, also when an occurrence is split across
 * chunks: a tail that could be the start of one is held back until the next chunk (or `end()`) decides.
 * Used to keep sudo's password prompt out of captured output and the live display.
 */
export class TextScrubber {
  private held = '';

  constructor(private readonly needle: string) {}

  push(text: string): string {
    const joined = (this.held + text).split(this.needle).join('');
    const keep = this.partialMatchLength(joined);
    this.held = joined.slice(joined.length - keep);
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
