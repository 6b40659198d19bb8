// OpenSSH's pattern matching (match.c): `*` is any run of characters, `?` is one character, nothing else is special.

const compiled = new Map<string, RegExp>();

/** match_pattern(): the whole string against one pattern, case-sensitively. */
export function matchPattern(text: string, pattern: string): boolean {
  // Most patterns are plain names (`Host web1`): compare them, rather than compiling a regular expression each.
  if (!pattern.includes('*') && !pattern.includes('?')) return text === pattern;
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    const source = pattern.replace(/[.+^${}()|[\]\\*?]/g, (char) =>
      char === '*' ? '[\\s\\S]*' : char === '?' ? '[\\s\\S]' : `\\${char}`,
    );
    regex = new RegExp(`^${source}$`, 'u');
    compiled.set(pattern, regex);
  }
  return regex.test(text);
}

/**
 * match_pattern_list(): a comma-separated list where `!pattern` excludes.
 * Returns 1 for a positive match, -1 when a negated pattern matched, 0 for no match.
 * `lower` lowercases the patterns, as OpenSSH does for host names (the caller lowercases the text).
 */
export function matchPatternList(text: string, list: string, lower: boolean): 1 | 0 | -1 {
  let positive = false;
  for (const item of list.split(',')) {
    const negated = item.startsWith('!');
    let pattern = negated ? item.slice(1) : item;
    if (lower) pattern = pattern.toLowerCase();
    if (matchPattern(text, pattern)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

/** match_hostname(): a pattern list against a host name, ignoring case. */
export function matchHostname(host: string, list: string): boolean {
  return matchPatternList(host.toLowerCase(), list, true) === 1;
}

/**
 * A `Host` line: each argument is one pattern (commas are literal here); the line applies when some pattern matches
 * and no `!pattern` does. Case-sensitive, as in OpenSSH.
 */
export function hostLineMatches(patterns: readonly string[], host: string): boolean {
  let matched = false;
  for (const item of patterns) {
    const negated = item.startsWith('!');
    if (matchPattern(host, negated ? item.slice(1) : item)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}
