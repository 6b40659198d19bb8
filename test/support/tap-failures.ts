// The failed tests of a TAP report (node --test's tap reporter), for the recap test/run.ts prints last: CI shows the
// end of a long log, and the failures are otherwise far above it, in the middle of a lane's report.

export interface TapFailure {
  /** The test's name, after the names of the suites around it: `outer > inner > leaf`. */
  name: string;
  location?: string;
  /** The error's text, as the reporter wrote it (an assertion's diff included). */
  error: string;
}

const NOT_OK = /^(\s*)(not ok|ok) \d+ - (.*)$/;
const SUBTEST = /^(\s*)# Subtest: (.*)$/;

/** Unquotes a one-line YAML scalar as node's TAP reporter writes it: '…' with '' for ', or "…" when it holds a '. */
function scalar(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).replaceAll("''", "'");
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    try {
      return JSON.parse(t) as string;
    } catch {
      return t.slice(1, -1);
    }
  }
  return t;
}

/** Every failed test in `tap` with its error, suites that failed only because a test inside them did left out. */
export function tapFailures(tap: string): TapFailure[] {
  const lines = tap.split('\n');
  const failures: TapFailure[] = [];
  /** The names of the subtests open at each indent, to name a test by its suites. */
  const open: { indent: number; name: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const sub = SUBTEST.exec(line);
    if (sub) {
      const indent = sub[1]!.length;
      while (open.length > 0 && open[open.length - 1]!.indent >= indent) open.pop();
      open.push({ indent, name: sub[2]! });
      continue;
    }
    const result = NOT_OK.exec(line);
    if (!result || result[2] !== 'not ok') continue;
    const indent = result[1]!.length;
    const path = open.filter((o) => o.indent < indent).map((o) => o.name);
    const fields = new Map<string, string>();
    let j = i + 1;
    if (lines[j]?.trim() === '---') {
      const fieldIndent = indent + 2;
      for (j++; j < lines.length && lines[j]!.trim() !== '...'; j++) {
        const field = /^(\s*)([A-Za-z_]+):(?: (.*))?$/.exec(lines[j]!);
        if (!field || field[1]!.length !== fieldIndent) continue;
        const [, , key, value = ''] = field;
        if (value === '|-' || value === '|' || value === '') {
          const block: string[] = [];
          while (j + 1 < lines.length && (lines[j + 1]!.startsWith(' '.repeat(fieldIndent + 2)) || lines[j + 1]!.trim() === '')) {
            if (lines[j + 1]!.trim() === '...') break;
            block.push(lines[++j]!.slice(fieldIndent + 2));
          }
          fields.set(key!, block.join('\n').trimEnd());
        } else fields.set(key!, scalar(value));
      }
    }
    if (fields.get('failureType') === 'subtestsFailed') continue;
    failures.push({ name: [...path, result[3]!].join(' > '), location: fields.get('location'), error: fields.get('error') ?? '(no error text)' });
  }
  return failures;
}

/** The recap's text: each failure with at most `maxLines` lines of its error. */
export function formatFailures(failures: TapFailure[], maxLines = 40): string {
  return failures
    .map((f) => {
      const errorLines = f.error.split('\n');
      const shown = errorLines.slice(0, maxLines).map((l) => `    ${l}`);
      if (errorLines.length > maxLines) shown.push(`    … ${errorLines.length - maxLines} more lines`);
      return [`✖ ${f.name}${f.location ? `  (${f.location})` : ''}`, ...shown].join('\n');
    })
    .join('\n');
}
