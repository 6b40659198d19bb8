import { spawn } from 'node:child_process';
import { FAB_BIN, collectRun, type FabRun } from './fab.ts';

/**
 * Runs the built `fab` under a real pseudo-terminal (python3's pty module) of the given size, the way a
 * person at a terminal runs it: stdout and stdin are a TTY. Optionally types Ctrl-C (the terminal then
 * sends SIGINT to fab's process group) once the screen shows `interruptWhen`.
 */
const PTY_RUNNER = String.raw`
import os, pty, sys, struct, fcntl, termios, select, re, time, json
cols, rows, pattern, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execv(argv[0], argv)
answers = json.loads(os.environ.get('FABTS_PTY_ANSWERS') or '[]')
seen, sent = b'', False
while True:
    try:
        ready, _, _ = select.select([fd], [], [], 0.1)
    except InterruptedError:
        continue
    if ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        seen += data
        plain = re.sub(rb'\x1b\[[0-9;?]*[A-Za-z]', b'', seen)
        if answers and re.search(answers[0][0].encode(), plain):
            when, text, delay = answers.pop(0)
            seen = b''
            time.sleep(delay / 1000)
            os.write(fd, text.encode())
        if pattern and not sent and re.search(pattern.encode(), re.sub(rb'\x1b\[[0-9;?]*[A-Za-z]', b'', seen)):
            sent = True
            time.sleep(0.2)
            os.write(fd, b'\x03')
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
`;

export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\u001b\][^\u0007]*\u0007/g, '').replace(/\r/g, '');
}

export interface PtyRun extends FabRun {
  /** What the terminal showed, escape sequences removed. */
  screen: string;
}

export function fabInPty(
  args: string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    cols?: number;
    rows?: number;
    interruptWhen?: RegExp;
    timeoutMs?: number;
    /** Typed in order, each once the screen (since the previous answer) matches `when`, after `delayMs`. */
    answers?: { when: RegExp; text: string; delayMs?: number }[];
  },
): Promise<PtyRun> {
  const child = spawn('python3', ['-c', PTY_RUNNER, String(options.cols ?? 100), String(options.rows ?? 40), options.interruptWhen?.source ?? '', process.execPath, FAB_BIN, ...args], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: options.env?.HOME ?? options.cwd,
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      ...(options.answers ? { FABTS_PTY_ANSWERS: JSON.stringify(options.answers.map((a) => [a.when.source, a.text, a.delayMs ?? 0])) } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectRun(child, options.timeoutMs).then((run) => ({ ...run, screen: stripAnsi(run.stdout) }));
}
