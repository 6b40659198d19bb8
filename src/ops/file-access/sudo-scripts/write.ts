// Shell scripts through which useSudo writes (put, writeFile, uploadTemplate's backup). Pure text builders: every
// path is quoted with quote(), so a name with quotes, `$()`, backticks, `;` or newlines reaches the shell as data.
//
// Root writes into directories that other users may be able to write, so no step may act on a name such a user
// can replace between two commands: each write happens in a fresh directory that only this user can enter (made
// with mkdir, which never follows a link, and checked once entered), relative to the working directory (which
// holds on to the inode, whatever is renamed), and reaches its place with one rename(2), which replaces a link
// planted there instead of writing through it. Needs `stat -c` (GNU coreutils, busybox) and `mv -T`.
import { posix } from 'node:path';
import { quote } from '../../quoting/quote.ts';

/** The kind of a path as root sees it: one line, `dir` (also a link to one), `link` (to anything else), `file` or `none`. */
export function probeScript(path: string): string {
  const p = quote(path);
  return `if [ -d ${p} ]; then echo dir; elif [ -L ${p} ]; then echo link; elif [ -e ${p} ]; then echo file; else echo none; fi`;
}

export interface StagedFile {
  /** Where the login user uploaded the bytes. */
  staged: string;
  target: string;
  /** Octal permission bits to set; undefined: keep the replaced file's, else 644. */
  mode: number | undefined;
  /** Random hex making the private directory beside the target unique. */
  tag: string;
}

export interface MadeDir {
  path: string;
  /** Permission bits of the directory when it is made; undefined: the umask's. */
  mode: number | undefined;
  tag: string;
}

/** The functions every write script starts with (see the comment at the top); `followHint`: the caller has followLinks. */
const safeWrite = (followHint: boolean) => `
um=$(umask)
fail() { printf 'fabts: %s\\n' "$*" >&2; }
# Enters the directory holding $1, which must be the directory $3 (dev:inode) when given; base is its last
# component, t the path written. A link there is refused unless $2 is 1 (followLinks): then the file it names is
# written instead.
locate() {
  t=$1 base=\${1##*/} d=\${1%/*}
  cd -P -- "\${d:-/}" || return 1
  [ -z "$3" ] || [ "$(stat -c %d:%i .)" = "$3" ] || { fail "\${d:-/} was replaced while in use (can another user write there?); nothing was written"; return 1; }
  [ -L "$base" ] || return 0
  [ "$2" = 1 ] || { fail "$t is a symbolic link; useSudo does not write through links (another user may have planted it): give the path it points to${followHint ? ', or { followLinks: true }' : ''}"; return 1; }
  r=$(readlink -f -- "$base" && echo .) || { fail "$t: cannot follow the link"; return 1; }
  t=\${r%??} base=\${t##*/} d=\${t%/*}
  cd -P -- "\${d:-/}"
}
# Makes .<base>.fabts-<tag>.tmp here and enters it; checks that what it entered is that (an empty directory of this
# user's whose parent is here: another user who can write here may have swapped the name), then makes it 0700
# (a default ACL may have given others more than the umask did).
private() {
  here=$(stat -c %d:%i .) && where=$PWD || return 1
  priv=.$(printf %.180s "$base").fabts-$1.tmp
  (umask 077 && mkdir -- "$priv") || return 1
  cd -P -- "$priv" 2>/dev/null && [ "$(stat -c %u .)" = "$(id -u)" ] && [ "$(stat -c %d:%i ..)" = "$here" ] && [ -z "$(ls -A .)" ] && chmod 700 . && return 0
  fail "$where/$priv was replaced while in use (can another user write there?); nothing was written"
  return 1
}
# Back out of the private directory, removing it and what is left in it (only names inside it: no path another user can swap).
leave() { rm -f -- new 2>/dev/null || rmdir -- new 2>/dev/null; cd .. && rmdir -- "$priv" 2>/dev/null; return 0; }
`.trim();

// The new file is written with O_EXCL (noclobber), given the replaced file's owner and mode (or the mode asked for)
// while still private, then renamed over the target. The replaced file's attributes are read without following a
// link; one that is no longer a regular file stops the install.
const ATTRIBUTES = `
attrs() {
  if [ -e "../$base" ] || [ -L "../$base" ]; then
    a=$(stat -c '%u:%g %a %F' -- "../$base") || return 1
    case $a in
      *' regular file' | *' regular empty file') ;;
      *) fail "$t changed while in use (it is no longer a regular file); nothing was written"; return 1 ;;
    esac
    owner=\${a%% *} a=\${a#* }
    fm=\${mode:-\${a%% *}}
    chown -- "$owner" new || return 1
  else
    fm=\${mode:-644}
  fi
  chmod -- "$fm" new
}
`.trim();

const INSTALL_FUNCTIONS = `
fill() { (set -C && cat -- "$src" > new) && attrs; }
install_file() (
  src=$1 mode=$3
  locate "$2" "$5" "$6" || exit 1
  if [ -d "$base" ]; then fail "$t is a directory"; exit 1; fi
  private "$4" || exit 1
  if fill && mv -f -T -- new "../$base"; then leave; printf '%s %s\\0' "$fm" "$t"; else leave; exit 1; fi
)
# Prints the directory's dev:inode, for what goes into it to check that it enters the directory made; $4 is its
# parent's when this script made that too.
make_dir() (
  [ -d "$1" ] && exec stat -L -c %d:%i -- "$1"
  d=\${1%/*}
  mkdir -p -- "\${d:-/}" && locate "$1" 0 "$4" && private "$3" || exit 1
  if (umask "$um" && mkdir -- new) && { [ -z "$2" ] || chmod -- "$2" new; } && made=$(stat -c %d:%i new) && mv -T -- new "../$base"; then
    leave; printf %s "$made"; exit 0
  fi
  leave
  [ -d "$base" ] && exec stat -L -c %d:%i -- "$base"
)
`.trim();

function octal(mode: number | undefined): string {
  return mode === undefined ? "''" : mode.toString(8);
}

/**
 * Installs staged files as root (or the sudo user): directories first, then each file; prints `mode path\\0` for
 * each (the path written: a followed link's target). A target that is a symlink is refused unless followLinks.
 */
export function installScript(dirs: MadeDir[], files: StagedFile[], options: { followLinks: boolean }): string {
  const lines = [safeWrite(true), ATTRIBUTES, INSTALL_FUNCTIONS];
  // d_<n> holds the n-th directory's dev:inode: what goes into it (a file, a directory) checks that it still is that directory.
  const dirIndex = new Map(dirs.map((dir, index) => [dir.path, index]));
  const pinnedParent = (path: string) => {
    const parent = dirIndex.get(posix.dirname(path));
    return parent === undefined ? "''" : `"$d_${parent}"`;
  };
  dirs.forEach((dir, index) => lines.push(`d_${index}=$(make_dir ${quote(dir.path)} ${octal(dir.mode)} ${dir.tag} ${pinnedParent(dir.path)}) || exit 1`));
  const follow = options.followLinks ? 1 : 0;
  for (const file of files) {
    lines.push(`install_file ${quote(file.staged)} ${quote(file.target)} ${octal(file.mode)} ${file.tag} ${follow} ${pinnedParent(file.target)} || exit 1`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Copies an existing file to `<file>.bak` (owner, mode and times kept), replacing an earlier backup by rename:
 * a link planted at the `.bak` name is replaced, never written through. A link at the file itself is refused
 * unless followLinks; then the file it names is backed up, beside itself. Nothing there: nothing to do.
 */
export function backupScript(path: string, tag: string, options: { followLinks: boolean }): string {
  const body = `
backup_file() (
  locate "$1" "$2" || exit 1
  [ -e "$base" ] || exit 0
  private "$3" || exit 1
  if cp -P -p -- "../$base" new && mv -f -T -- new "../$base.bak"; then leave; else leave; exit 1; fi
)`.trim();
  return `${safeWrite(true)}\n${body}\nbackup_file ${quote(path)} ${options.followLinks ? 1 : 0} ${tag}\n`;
}

/**
 * Adds lines at the end of a file (made when missing), as root: the file's content and the lines go to a copy in a
 * private directory, which gets the file's owner and mode (0644 for a new file) and is renamed over it. So a link
 * planted at the file is refused, never appended through; the file is replaced, not written in place. The lines are
 * data, whatever they hold.
 */
export function appendScript(path: string, lines: string[], newlineFirst: boolean, tag: string): string {
  const format = newlineFirst ? "'\\n%s\\n'" : "'%s\\n'";
  const first = lines.slice(0, 1).map(quote);
  const rest = lines.slice(1).map(quote);
  const parts = [`printf ${format} ${first.join(' ')}`];
  if (rest.length) parts.push(`printf '%s\\n' ${rest.join(' ')}`);
  const body = `
append_file() (
  mode=
  locate "$1" 0 || exit 1
  if [ -d "$base" ]; then fail "$t is a directory"; exit 1; fi
  private "$2" || exit 1
  if (set -C && { [ ! -e "../$base" ] || cat -- "../$base"; } > new) && { ${parts.join('; ')}; } >> new && attrs && mv -f -T -- new "../$base"; then leave; else leave; exit 1; fi
)`.trim();
  return `${safeWrite(false)}\n${ATTRIBUTES}\n${body}\nappend_file ${quote(path)} ${tag}\n`;
}
