// Shell scripts that useSudo transfers run through sudo. Pure text builders: every path is quoted with quote(),
// so a name with quotes, `$()`, backticks, `;` or newlines reaches the shell as data.
import { quote } from './quote.ts';

/** The kind of a path as root sees it: one line, `dir`, `file` or `none`. */
export function probeScript(path: string): string {
  const p = quote(path);
  return `if [ -d ${p} ]; then echo dir; elif [ -e ${p} ]; then echo file; else echo none; fi`;
}

export interface StagedFile {
  /** Where the login user uploaded the bytes. */
  staged: string;
  target: string;
  /** Octal permission bits to set; undefined: keep the replaced file's, else 644. */
  mode: number | undefined;
  /** Random hex making the temp name beside the target unique. */
  tag: string;
}

// Replaces the target atomically: copy beside it, give the copy the old file's owner and mode (or the ones
// asked for), rename over it. GNU and busybox `stat -c`; elsewhere `cp -p` of the old file carries them over.
const INSTALL_FUNCTIONS = `
attrs() { stat -c '%u:%g %a' -- "$1" 2>/dev/null; }
install_file() {
  src=$1 t=$2 mode=$3 tag=$4
  if [ -L "$t" ]; then r=$(readlink -f -- "$t") && t=$r; fi
  if [ -d "$t" ]; then echo "fabts: $t is a directory" >&2; return 1; fi
  tmp=$(dirname -- "$t")/.$(basename -- "$t").fabts-$tag.tmp
  if [ -e "$t" ]; then
    if a=$(attrs "$t"); then
      fm=\${mode:-\${a#* }}
      cp -- "$src" "$tmp" && chown "\${a% *}" "$tmp" && chmod "$fm" "$tmp"
    else
      fm=\${mode:--}
      cp -p -- "$t" "$tmp" && cat -- "$src" > "$tmp" && { [ -z "$mode" ] || chmod "$mode" "$tmp"; }
    fi
  else
    fm=\${mode:-644}
    cp -- "$src" "$tmp" && chmod "$fm" "$tmp"
  fi && mv -f -- "$tmp" "$t" && printf '%s %s\\0' "$fm" "$t" && return 0
  rm -f -- "$tmp"
  return 1
}
make_dir() {
  [ -d "$1" ] && return 0
  mkdir -p -- "$1" && { [ -z "$2" ] || chmod "$2" "$1"; }
}
`;

function octal(mode: number | undefined): string {
  return mode === undefined ? "''" : mode.toString(8);
}

/** Installs staged files as root (or the sudo user): directories first, then each file; prints `mode path\\0` for each. */
export function installScript(dirs: { path: string; mode: number | undefined }[], files: StagedFile[]): string {
  const lines = [INSTALL_FUNCTIONS.trim()];
  for (const dir of dirs) lines.push(`make_dir ${quote(dir.path)} ${octal(dir.mode)} || exit 1`);
  for (const file of files) lines.push(`install_file ${quote(file.staged)} ${quote(file.target)} ${octal(file.mode)} ${file.tag} || exit 1`);
  return `${lines.join('\n')}\n`;
}

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

/** Exit status of stageScript when nothing matched. */
export const NOTHING_MATCHED = 3;

/**
 * Copies every match of a remote path or glob into staging/<n>/x as root, makes the copies the login user's
 * (sudo's SUDO_UID), and prints the matched paths NUL-separated, in the order of the numbers.
 */
export function stageScript(pattern: string, staging: string): string {
  const s = quote(staging);
  return [
    'i=0',
    `for f in ${globWord(pattern)}; do`,
    '  [ -e "$f" ] || continue',
    '  i=$((i+1))',
    `  mkdir -- ${s}/"$i" && cp -RL -- "$f" ${s}/"$i"/x || exit 1`,
    `  printf '%s\\0' "$f"`,
    'done',
    `[ "$i" -gt 0 ] || { echo "fabts: nothing matches" >&2; exit ${NOTHING_MATCHED}; }`,
    `if [ "$(id -u)" = 0 ]; then chown -R "\${SUDO_UID:-0}" ${s}; else chmod -R a+rX ${s}; fi`,
  ].join('\n');
}

/** Prints every existing match of a remote path or glob, NUL-separated (useSudo get under --dry-run). */
export function listScript(pattern: string): string {
  return `for f in ${globWord(pattern)}; do [ -e "$f" ] && printf '%s\\0' "$f"; done; true`;
}

/** `printf '%s\n' line... >> file`: appends lines as data, whatever they hold. */
export function appendScript(path: string, lines: string[], newlineFirst: boolean): string {
  const format = newlineFirst ? "'\\n%s\\n'" : "'%s\\n'";
  const first = lines.slice(0, 1).map(quote);
  const rest = lines.slice(1).map(quote);
  const parts = [`printf ${format} ${first.join(' ')}`];
  if (rest.length) parts.push(`printf '%s\\n' ${rest.join(' ')}`);
  return `{ ${parts.join('; ')}; } >> ${quote(path)}`;
}
