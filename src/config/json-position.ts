/**
 * Where JSON.parse gives up on a text, as an offset. V8 names no position for an unexpected token, only a piece
 * of the text around it, and that piece is often the password a config file holds: errors must not carry it.
 * Returns undefined when the text is valid JSON.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let at = 0;
  const fail = (): never => {
    throw new Stop(at);
  };
  const space = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const expect = (char: string): void => {
    if (text[at] !== char) fail();
    at++;
  };
  const word = (literal: string): void => {
    for (const char of literal) expect(char);
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[at] ?? '')) fail();
    while (/[0-9]/.test(text[at] ?? '')) at++;
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      const char = text[at];
      if (char === undefined || char < ' ') fail();
      at++;
      if (char === '"') return;
      if (char !== '\\') continue;
      if (text[at] === 'u') {
        at++;
        for (let i = 0; i < 4; i++) if (/[0-9a-fA-F]/.test(text[at] ?? '')) at++;
        else fail();
      } else if ('"\\/bfnrt'.includes(text[at] ?? 'x')) at++;
      else fail();
    }
  };
  const number = (): void => {
    if (text[at] === '-') at++;
    if (text[at] === '0') at++;
    else digits();
    if (text[at] === '.') {
      at++;
      digits();
    }
    if (text[at] === 'e' || text[at] === 'E') {
      at++;
      if (text[at] === '+' || text[at] === '-') at++;
      digits();
    }
  };
  const list = (close: string, item: () => void): void => {
    at++;
    space();
    if (text[at] === close) {
      at++;
      return;
    }
    for (;;) {
      item();
      space();
      if (text[at] === close) {
        at++;
        return;
      }
      expect(',');
      space();
    }
  };
  const value = (): void => {
    const char = text[at];
    if (char === '{') {
      list('}', () => {
        string();
        space();
        expect(':');
        space();
        value();
      });
    } else if (char === '[') list(']', value);
    else if (char === '"') string();
    else if (char === 't') word('true');
    else if (char === 'f') word('false');
    else if (char === 'n') word('null');
    else number();
  };

  try {
    space();
    value();
    space();
    if (at < text.length) fail();
    return undefined;
  } catch (error) {
    // Anything else is nesting too deep for this recursion: JSON.parse's message then stands without a position.
    return error instanceof Stop ? error.offset : undefined;
  }
}

class Stop {
  constructor(readonly offset: number) {}
}

/** 1-based line and column of an offset (columns count UTF-16 units, as editors of JSON mostly do). */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: before.length - before.lastIndexOf('\n') };
}
