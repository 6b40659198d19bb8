import { FabError, describeError } from '../errors.ts';
import { quote } from '../ops/quoting/quote.ts';
import { connectionFor } from '../ssh/pool.ts';

/**
 * The deploy lock's side on each host: one POSIX sh script, run over the host's pooled connection with its
 * arguments as quoted words. A lock entry is a directory `<dir>/<name>@<host>`: mkdir is atomic, so of two
 * deploys only one creates it. Inside: `token` (the owner's proof), `info` (one line of JSON: who, run,
 * task, since, message), `ttl`, and `heartbeat`, whose mtime the owner refreshes. Ages are measured with
 * the host's own clock, so clock skew between laptops does not matter. `audit.log` in the lock directory
 * records every stale or forced removal.
 *
 *   $1 action  $2 lock dir (relative: under $HOME)  $3 entry name  $4 token or who  $5 info  $6 ttl
 */
const SCRIPT = String.raw`
set -u
act=$1 dir=$2 name=$3
case $dir in /*) ;; *) dir=$HOME/$dir ;; esac
e=$dir/$name
mtime() { stat -c %Y "$1" 2>/dev/null || stat -f %m "$1" 2>/dev/null; }
age() { t=$(mtime "$e/heartbeat") || t=$(mtime "$e") || t=$(date +%s); echo $(( $(date +%s) - t )); }
held() { a=$(age); t=$(cat "$e/ttl" 2>/dev/null || echo 0); printf 'HELD\t%s\t%s\t' "$a" "$t"; head -c 4096 "$e/info" 2>/dev/null | head -n 1; echo; }
audit() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" >> "$dir/audit.log"; }
take() {
  mkdir "$e" 2>/dev/null || return 1
  printf '%s\n' "$4" > "$e/token" && printf '%s\n' "$6" > "$e/ttl" && printf '%s\n' "$5" > "$e/info" && : > "$e/heartbeat" || { rm -rf "$e"; echo "ERROR cannot write in $e"; exit 3; }
  echo ACQUIRED
}
mine() { [ "$(cat "$e/token" 2>/dev/null)" = "$1" ]; }
case $act in
acquire)
  [ -d "$dir" ] || (umask 077; mkdir -p "$dir") 2>/dev/null; [ -d "$dir" ] && [ -w "$dir" ] || { echo "ERROR cannot create the lock directory $dir"; exit 3; }
  take "$@" && exit 0
  a=$(age); t=$(cat "$e/ttl" 2>/dev/null || echo "$6")
  if [ -d "$e.break" ] && [ $(( $(date +%s) - $(mtime "$e.break" || date +%s) )) -gt 60 ]; then rmdir "$e.break" 2>/dev/null; fi
  if [ "$a" -gt "$t" ] && mkdir "$e.break" 2>/dev/null; then
    a=$(age)
    if [ -d "$e" ] && [ "$a" -gt "$t" ]; then
      audit "stale lock $name removed (no heartbeat for $a s, ttl $t s) by $(printf '%s' "$5" | head -c 300): $(head -c 2048 "$e/info" 2>/dev/null | head -n 1)"
      rm -rf "$e"
    fi
    rmdir "$e.break"
    take "$@" && { echo BROKE; exit 0; }
  fi
  held ;;
release) if mine "$4"; then rm -rf "$e"; echo RELEASED; else echo NOT-OWNER; fi ;;
heartbeat) if mine "$4"; then touch "$e/heartbeat"; echo ALIVE; else echo LOST; fi ;;
status)
  for x in "$dir"/*@"$name"; do [ -d "$x" ] || continue; case $x in *.break) continue ;; esac; e=$x; printf 'ENTRY\t%s\t' "$(basename "$x")"; held; done ;;
force)
  if [ -d "$e" ]; then audit "lock $name released by force by $4: $(head -c 2048 "$e/info" 2>/dev/null | head -n 1)"; rm -rf "$e"; echo RELEASED; else echo ABSENT; fi ;;
esac
`;

/** The most a lock script may print that fab reads (a hostile host cannot make fab hold more). */
const MAX_OUTPUT = 256 * 1024;

export type LockAction = 'acquire' | 'release' | 'heartbeat' | 'status' | 'force';

/**
 * Runs the lock script on a host, quietly (no events: lock housekeeping is not the task's output) and also
 * after Ctrl-C (a lock must still be released then). Resolves to its stdout lines.
 */
export async function lockScript(host: string, action: LockAction, args: { dir: string; name: string; token?: string; info?: string; ttl?: number }, timeoutMs = 30_000): Promise<string[]> {
  const words = [action, args.dir, args.name, args.token ?? '', args.info ?? '', String(args.ttl ?? 0)];
  const line = `sh -c ${quote(SCRIPT)} fab-lock ${words.map(quote).join(' ')}`;
  try {
    const connection = await connectionFor(host);
    const channel = await connection.exec(line, { openTimeoutMs: timeoutMs });
    return await new Promise<string[]>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        channel.close();
        reject(new Error(`no answer within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      timer.unref();
      channel.on('data', (chunk: Buffer) => {
        if (out.length < MAX_OUTPUT) out += chunk.toString('utf8');
      });
      channel.stderr.resume();
      channel.once('close', () => {
        clearTimeout(timer);
        resolve(out.split('\n').filter((text) => text !== ''));
      });
    });
  } catch (error) {
    if (error instanceof FabError) throw error;
    throw new FabError('LOCK_FAILED', `${host}: the deploy lock could not be reached: ${describeError(error)}`, { host, cause: error });
  }
}
