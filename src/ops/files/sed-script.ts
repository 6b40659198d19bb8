// sed expressions built from user text for sed(), comment() and uncomment(). Pure: the shell quoting of the
// whole expression is quote()'s job; here each piece is made safe for sed itself (the `/` delimiter, newlines).

/** `/` becomes `\/` (an already escaped `\/` stays as it is) and a newline becomes `\n`: the text stays one s/// field. */
function escapeDelimiter(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\' && i + 1 < text.length) {
      out += char + text[++i]!;
    } else if (char === '/') out += '\\/';
    else if (char === '\n') out += '\\n';
    else out += char;
  }
  return out;
}

/** In a replacement a newline must be a backslash-newline (POSIX sed). */
function escapeReplacement(text: string): string {
  return escapeDelimiter(text.replace(/\n/g, '\\\n'));
}

/** Text matched literally inside an extended regular expression. */
export function escapeRegex(text: string): string {
  return text.replace(/[.[\]{}()*+?^$|\\/]/g, '\\$&');
}

/** Text inserted literally by a replacement (`&` and `\` are special there). */
export function escapeReplacementText(text: string): string {
  return text.replace(/[\\&]/g, '\\$&');
}

/**
 * A `[/limit/ ]s/before/after/flagsg` expression, as Fabric's sed() writes it: `before` is an extended regular
 * expression (sed -E), `after` a replacement (`\1` and `&` refer to the match), `flags` extra s/// flags (`i`),
 * `limit` a regex selecting the lines to change. Replacement is global (`g`), as in Fabric.
 */
export function sedExpression(before: string, after: string, options: { limit?: string; flags?: string } = {}): string {
  const flags = options.flags ?? '';
  if (!/^[a-zA-Z0-9]*$/.test(flags)) throw new Error(`sed flags must be letters or digits (like 'i'), not ${JSON.stringify(flags)}`);
  const address = options.limit ? `/${escapeDelimiter(options.limit)}/ ` : '';
  return `${address}s/${escapeDelimiter(before)}/${escapeReplacement(after)}/${flags}${flags.includes('g') ? '' : 'g'}`;
}

/**
 * comment(): every line matching regex gets `char` in front (the whole line, wherever the match is; Fabric put
 * it before the match, which is the same for the anchored patterns it recommended).
 */
export function commentExpression(regex: string, char: string): { before: string; after: string; limit: string } {
  return { before: '^', after: escapeReplacementText(char), limit: regex };
}

/** uncomment(): on lines matching regex, the comment character (and one space after it) goes. */
export function uncommentExpression(regex: string, char: string): { before: string; after: string; limit: string } {
  return { before: `^([[:space:]]*)${escapeRegex(char)}[[:space:]]?`, after: '\\1', limit: regex };
}
