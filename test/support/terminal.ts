import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FAB_BIN } from './fab.ts';

/** Why terminal tests cannot run here, or false when they can. */
export const noTmux = spawnSync('tmux', ['-V']).status === 0 ? false : 'needs tmux (apt-get install -y tmux): the interactive tests drive a real terminal';

const quoteSh = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * A real terminal: a private tmux server (its own socket, killed on close) running one script in a
 * window of a given size. The script runs `fab` between two `stty -a`, so a test can tell the terminal
 * mode was restored, and writes fab's exit status to a file.
 */
export class TmuxTerminal {
  private constructor(
    readonly dir: string,
    private readonly socket: string,
  ) {}

  /** Runs `fab args...` (the built dist/cli/bin.js) in cwd in a cols x rows terminal. */
  static start(args: string[], options: { cwd: string; env?: Record<string, string>; cols?: number; rows?: number }): TmuxTerminal {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabts-tty-'));
    const socket = path.join(dir, 'tmux.sock');
    fs.writeFileSync(path.join(dir, 'tmux.conf'), 'set -g remain-on-exit on\nset -g status off\nset -g history-limit 5000\n');
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.cwd, LANG: 'C.UTF-8', TERM: 'xterm', ...options.env };
    const exports = Object.entries(env).map(([key, value]) => `export ${key}=${quoteSh(value)}`);
    const fab = [process.execPath, FAB_BIN, ...args].map(quoteSh).join(' ');
    const script = [
      ...exports,
      `cd ${quoteSh(options.cwd)}`,
      `stty -a > ${quoteSh(path.join(dir, 'stty-before'))}`,
      fab,
      'status=$?',
      `stty -a > ${quoteSh(path.join(dir, 'stty-after'))}`,
      'echo "FAB-EXIT=$status"',
      `echo "$status" > ${quoteSh(path.join(dir, 'status'))}`,
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'run.sh'), `${script}\n`);
    const terminal = new TmuxTerminal(dir, socket);
    terminal.tmux(['-f', path.join(dir, 'tmux.conf'), 'new-session', '-d', '-x', String(options.cols ?? 80), '-y', String(options.rows ?? 24), `bash --noprofile --norc ${quoteSh(path.join(dir, 'run.sh'))}`]);
    return terminal;
  }

  private tmux(args: string[]): string {
    const out = spawnSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${out.stderr}`);
    return out.stdout;
  }

  /** Types text as keys (no Enter). */
  type(text: string): void {
    this.tmux(['send-keys', '-l', text]);
  }

  /** Presses named keys: 'Enter', 'C-c', 'BSpace' ... */
  press(...keys: string[]): void {
    this.tmux(['send-keys', ...keys]);
  }

  typeLine(text: string): void {
    this.type(text);
    this.press('Enter');
  }

  /** What the terminal shows, scrollback included, trailing blank lines dropped. */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-J', '-S', '-5000']).replace(/\s+$/, '');
  }

  resize(cols: number, rows: number): void {
    this.tmux(['resize-window', '-x', String(cols), '-y', String(rows)]);
  }

  /** Waits until the screen matches (counting matches when `times` is given); returns the screen. */
  async waitFor(pattern: RegExp, options: { timeoutMs?: number; times?: number } = {}): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 20000);
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    for (;;) {
      const screen = this.screen();
      if ((screen.match(global)?.length ?? 0) >= (options.times ?? 1)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}${options.times ? ` x${options.times}` : ''}; the screen shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits for fab to exit; returns its status and whether `stty -a` read the same before and after. */
  async exit(timeoutMs = 20000): Promise<{ status: number; sttyRestored: boolean; before: string; after: string }> {
    const statusFile = path.join(this.dir, 'status');
    const deadline = Date.now() + timeoutMs;
    while (!fs.existsSync(statusFile) || fs.readFileSync(statusFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error(`fab did not exit within ${timeoutMs} ms; the screen shows:\n${this.screen()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The window size may have been changed on purpose: compare the modes, not the geometry line.
    const modes = (file: string) => fs.readFileSync(path.join(this.dir, file), 'utf8').split('\n').slice(1).join('\n');
    const before = modes('stty-before');
    const after = modes('stty-after');
    return { status: Number(fs.readFileSync(statusFile, 'utf8').trim()), sttyRestored: before === after, before, after };
  }

  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server']);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
