#!/usr/bin/env node
import { ExitCode, FabError } from '../errors.ts';
import { formatFatal, main } from './main.ts';

// The only file that touches process.argv and process.exit.
const argv = process.argv.slice(2);
const debug = argv.includes('--debug');

main(argv, { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), stdin: process.stdin }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(formatFatal(error, debug || !(error instanceof FabError)));
    process.exitCode = error instanceof FabError ? error.exitCode : ExitCode.taskFailed;
  },
);
