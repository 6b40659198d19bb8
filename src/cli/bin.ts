#!/usr/bin/env node
import { ExitCode, FabError } from '../errors.ts';
import { enableCompileCache } from './compile-cache.ts';
import { handleInterrupts } from './interrupt.ts';
import { guardTsxCache } from './tsx-cache.ts';
import { deferOptimizingCompiler } from './jit.ts';
import { formatFatal, main } from './main.ts';

deferOptimizingCompiler();
enableCompileCache();
guardTsxCache();

// The only file that touches process.argv and process.exit.
const argv = process.argv.slice(2);
const debug = argv.includes('--debug');
// stdout's own write, taken before the terminal view replaces it (to hold what tasks print while it draws).
const terminal = { isTTY: process.stdout.isTTY, write: process.stdout.write.bind(process.stdout) };
const interrupts = handleInterrupts((code) => process.exit(code), terminal);

/** After an interrupt, a task stuck in its own code must not keep fab alive: exit once output is out. */
function exitSoonIfInterrupted(): void {
  const code = interrupts.exitCode();
  if (code === undefined) return;
  process.exitCode = code;
  setTimeout(() => process.exit(code), 200).unref();
}

main(argv, { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), signal: interrupts.signal, stdin: process.stdin }).then(
  (code) => {
    interrupts.dispose();
    process.exitCode = code;
    exitSoonIfInterrupted();
  },
  (error: unknown) => {
    interrupts.dispose();
    process.stderr.write(formatFatal(error, debug || !(error instanceof FabError)));
    process.exitCode = error instanceof FabError ? error.exitCode : ExitCode.taskFailed;
    exitSoonIfInterrupted();
  },
);
