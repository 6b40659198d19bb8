/** POSIX sh quoting: every value becomes exactly one word, whatever characters it holds. */
export function quote(value: string): string {
  if (value === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function quoteValue(value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => quoteValue(item)).join(' ');
  if (value === null || value === undefined) {
    throw new TypeError(`a \${} value in a command is ${String(value)}; pass a string, number or array`);
  }
  if (typeof value === 'object' && !('toString' in value && value.toString !== Object.prototype.toString)) {
    throw new TypeError('a ${} value in a command is a plain object; pass a string, number or array');
  }
  return quote(String(value));
}

/** Builds a command from a tagged template: literal parts stay as written, every `${}` is shell-quoted (arrays as separate words). */
export function shellTemplate(strings: TemplateStringsArray, values: readonly unknown[]): string {
  let command = strings[0] ?? '';
  values.forEach((value, index) => {
    command += quoteValue(value) + (strings[index + 1] ?? '');
  });
  return command;
}

export function isTemplateCall(first: unknown): first is TemplateStringsArray {
  return Array.isArray(first) && 'raw' in first;
}
