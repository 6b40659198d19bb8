// sshd hands every command line to the user's login shell (`$SHELL -c LINE`): bash, dash, zsh and busybox sh read
// POSIX quoting, but fish takes `\\` and `\'` as escapes inside single quotes, and csh/tcsh expand `!` (history)
// even there and refuse a newline. A line that reaches /bin/sh byte for byte under all of them uses only the
// forms they all read the same way:
//   - bare words of letters, digits and `_ . / : , + = @ % -` (not starting with `=`, `@` or `%`);
//   - '...' holding printable ASCII other than `'`, `\` and `!`;
//   - "..." holding printable ASCII other than `"`, `$`, `` ` ``, `\` and `!`.
// Anything else travels as an argument in the '...' form with its other bytes written `\0NNN` (octal), which
// /bin/sh turns back into the script with printf %b (POSIX) and runs with eval: no login shell reads it.
import { quote } from './quote.ts';

const BARE = /^[A-Za-z0-9_./:,+-][A-Za-z0-9_./:,+=@%-]*$/;
const SINGLE_QUOTABLE = /^[\x20\x22-\x26\x28-\x5b\x5d-\x7e]*$/;
const DOUBLE_QUOTABLE = /^[\x20\x23\x25-\x5b\x5d-\x5f\x61-\x7e]*$/;
/** Bytes that stay as they are in the encoded argument (SINGLE_QUOTABLE's). */
const KEPT = (byte: number) => byte >= 0x20 && byte <= 0x7e && byte !== 0x21 && byte !== 0x27 && byte !== 0x5c;
/** Decodes $1 and runs it in the shell it is given to; `set --` so that the script sees no arguments, as under `sh -c`. */
const DECODER = `'eval "set --;$(printf %b "$1")"' sh`;

/** `value` as one word that every login shell reads back as exactly `value`, or undefined when there is none. */
export function portableWord(value: string): string | undefined {
  if (BARE.test(value)) return value;
  if (SINGLE_QUOTABLE.test(value)) return `'${value}'`;
  if (DOUBLE_QUOTABLE.test(value)) return `"${value}"`;
  return undefined;
}

/** The script's bytes, those outside KEPT as `\0NNN`: what printf %b turns back into the script. */
function encode(script: string): string {
  let out = '';
  for (const byte of Buffer.from(script, 'utf8')) out += KEPT(byte) ? String.fromCharCode(byte) : `\\0${byte.toString(8).padStart(3, '0')}`;
  return out;
}

/**
 * `prefix SCRIPT` for any login shell: the prefix (`/bin/sh -c`, env.shell) is sent as written, the script
 * arrives as its last argument byte for byte.
 */
export function portableShellLine(prefix: string, script: string): string {
  const word = portableWord(script);
  if (word !== undefined) return `${prefix} ${word}`;
  return `${prefix} ${DECODER} '${encode(script)}'`;
}

/** A command of words (argv) for any login shell: the words as they are when they can be, else through /bin/sh. */
export function portableCommand(words: string[]): string {
  const portable = words.map(portableWord);
  if (portable.every((word) => word !== undefined)) return portable.join(' ');
  return portableShellLine('/bin/sh -c', words.map(quote).join(' '));
}
