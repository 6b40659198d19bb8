#!/usr/bin/env node
import { ExitCode, FabError } from '../errors.ts';
import { runCleanups } from '../util/cleanup.ts';
import { formatFatal, main } from './main.ts';

// The only file that touches process.argv and process.exit.
const argv = process.argv.slice(2);
const debug = argv.includes('--debug');

// Ctrl-C / SIGTERM: undo half-done transfers (remote temp files, partial downloads) before exiting,
// while the connections are still up; a second signal exits at once.
for (const [signal, code] of [['SIGINT', ExitCode.interrupted], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    process.once(signal, () => process.exit(code));
    void runCleanups().finally(() => process.exit(code));
  });
}

main(argv, { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(formatFatal(error, debug || !(error instanceof FabError)));
    process.exitCode = error instanceof FabError ? error.exitCode : ExitCode.taskFailed;
  },
);
