#!/usr/bin/env node
import { ExitCode, FabError } from '../errors.ts';
import { enableCompileCache } from './compile-cache.ts';
import { handleInterrupts } from './interrupt.ts';
import { deferOptimizingCompiler } from './jit.ts';
import { formatFatal, main } from './main.ts';

deferOptimizingCompiler();
enableCompileCache();

// The only file that touches process.argv and process.exit.
const argv = process.argv.slice(2);
const debug = argv.includes('--debug');
// stdout's own write, taken before the terminal view replaces it (to hold what tasks print while it draws).
const terminal = { isTTY: process.stdout.isTTY, write: process.stdout.write.bind(process.stdout) };
const interrupts = handleInterrupts((code) => process.exit(code), terminal);
// A run started by `fab serve` gets its stdin from the server: the end of it means the server is gone, and a run no
// one follows (and no one can cancel) must not go on; it winds down as on Ctrl-C (remote commands ended, temp files removed).
const parentWatch = process.env.FABTS_SERVE_CHILD === '1';
if (parentWatch) {
  process.stdin.on('end', () => interrupts.interrupt()).on('error', () => interrupts.interrupt()).resume();
  (process.stdin as { unref?: () => void }).unref?.();
  // With the server gone, writing progress to its pipes fails (EPIPE): that must not crash the run mid-way, before it
  // has ended its remote commands.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
}

/**
 * After an interrupt, a task stuck in its own code must not keep fab alive: exit once output is out. A command that
 * handled the signal and ended well (fab serve's drain) exits 0.
 */
function exitSoonIfInterrupted(returned?: number): void {
  const signalled = interrupts.exitCode();
  if (signalled === undefined) return;
  const code = returned === ExitCode.ok ? ExitCode.ok : signalled;
  process.exitCode = code;
  setTimeout(() => process.exit(code), 200).unref();
}

main(argv, { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), signal: interrupts.signal, stdin: process.stdin }).then(
  (code) => {
    interrupts.dispose();
    if (parentWatch) process.stdin.destroy();
    process.exitCode = code;
    exitSoonIfInterrupted(code);
  },
  (error: unknown) => {
    interrupts.dispose();
    if (parentWatch) process.stdin.destroy();
    process.stderr.write(formatFatal(error, debug || !(error instanceof FabError)));
    process.exitCode = error instanceof FabError ? error.exitCode : ExitCode.taskFailed;
    exitSoonIfInterrupted();
  },
);
