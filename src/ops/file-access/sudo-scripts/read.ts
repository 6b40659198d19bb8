// Shell scripts through which useSudo reads (get) and hands staged files between the login user and a non-root
// sudo user. Pure text builders; every path goes through quote().
import { quote } from '../../quoting/quote.ts';

/**
 * A glob pattern as one shell word: the literal parts quoted, `*`, `?` and `[...]` left for the shell to expand.
 */
export function globWord(pattern: string): string {
  let word = '';
  let literal = '';
  const flush = () => {
    if (literal) word += quote(literal);
    literal = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' || char === '?') {
      flush();
      word += char;
    } else if (char === '[' && pattern.indexOf(']', i + 2) !== -1 && !pattern.slice(i, pattern.indexOf(']', i + 2)).includes('/')) {
      const end = pattern.indexOf(']', i + 2);
      flush();
      const body = pattern.slice(i + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      word += `[${negated ? '!' : ''}${quote(negated ? body.slice(1) : body)}]`;
      i = end;
    } else literal += char;
  }
  flush();
  return word || "''";
}

/**
 * `for f in <glob>` over the existing matches, never `.` or `..`: the shell's `.*` matches both, and the pattern
 * is normalized before it gets here, so any `.`/`..` component of a match came from the glob.
 */
function eachMatch(pattern: string, body: string[]): string[] {
  return [`for f in ${globWord(pattern)}; do`, '  case /$f/ in */./* | */../*) continue ;; esac', '  [ -e "$f" ] || continue', ...body.map((line) => `  ${line}`), 'done'];
}

/** Exit status of stageScript when nothing matched. */
export const NOTHING_MATCHED = 3;

/** The name of the mode list stageScript leaves in a staging directory it shares through an ACL. */
export const STAGED_MODES = 'modes';

const NEEDS_SETFACL = (user: string) =>
  `fabts: useSudo with sudoUser ${user} needs setfacl on the host (Debian/Ubuntu: apt-get install acl) to share staged files with that user alone; install it, or leave sudoUser unset`;

/** Fails with a clear line when setfacl is missing. */
function requireSetfacl(user: string): string {
  return `command -v setfacl >/dev/null 2>&1 || { printf '%s\\n' ${quote(NEEDS_SETFACL(user))} >&2; exit 1; }`;
}

/** Gives one user (`entry`: a shell word `u:<user>:rX`) read access to a staging tree; it stays its owner's. */
function shareTree(staging: string, entry: string, who: string): string {
  const explain = `fabts: cannot give ${who} access to ${staging} with an ACL (does that file system support ACLs?); give a tempDir on one that does`;
  return `setfacl -R -m ${entry} -- ${quote(staging)} || { printf '%s\\n' ${quote(explain)} >&2; exit 1; }`;
}

/**
 * Copies every match of a remote path or glob into staging/<n>/x and prints the matched paths NUL-separated, in
 * the order of the numbers. As root (`sudoUser` undefined), into the login user's staging directory, then hands
 * the copies to the login user (sudo's SUDO_UID). As another user, into a 0700 staging directory it makes itself,
 * then shared with the login user alone through an ACL; the copies' modes, which the ACL's mask changes, are
 * written to staging/modes first (`mode ./n/x/...` lines).
 */
export function stageScript(pattern: string, staging: string, sudoUser?: string): string {
  const s = quote(staging);
  const lines = sudoUser === undefined ? ['i=0'] : [requireSetfacl(sudoUser), `(umask 077 && mkdir -- ${s}) || exit 1`, 'i=0'];
  lines.push(...eachMatch(pattern, ['i=$((i+1))', `mkdir -- ${s}/"$i" && cp -RL -- "$f" ${s}/"$i"/x || exit 1`, `printf '%s\\0' "$f"`]));
  lines.push(`[ "$i" -gt 0 ] || { echo "fabts: nothing matches" >&2; exit ${NOTHING_MATCHED}; }`);
  if (sudoUser === undefined) {
    lines.push(`[ "$(id -u)" != 0 ] || chown -R "\${SUDO_UID:-0}" ${s}`);
  } else {
    lines.push(`(cd -- ${s} && find . -mindepth 1 -exec stat -c '%a %n' -- {} + > ${STAGED_MODES}) || exit 1`);
    lines.push(shareTree(staging, '"u:${SUDO_UID:?}:rX"', 'the login user'));
  }
  return lines.join('\n');
}

/** Parses the mode list of stageScript into full staged paths and their permission bits. */
export function parseStagedModes(staging: string, text: string): Map<string, number> {
  const modes = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([0-7]{3,4}) \.\/(.+)$/.exec(line);
    if (match) modes.set(`${staging}/${match[2]}`, parseInt(match[1]!, 8));
  }
  return modes;
}

/** Prints every existing match of a remote path or glob, NUL-separated (useSudo get under --dry-run). */
export function listScript(pattern: string): string {
  return [...eachMatch(pattern, [`printf '%s\\0' "$f"`]), 'true'].join('\n');
}

/** Run by the login user: lets a non-root sudo user read a staging directory (and nobody else). */
export function shareScript(staging: string, sudoUser: string): string {
  return [requireSetfacl(sudoUser), shareTree(staging, quote(`u:${sudoUser}:rX`), sudoUser)].join('\n');
}
