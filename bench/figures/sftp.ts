// SFTP: 512 MiB put and get vs OpenSSH `sftp` (same cipher) and Python Fabric; a directory of 2,000 small files
// vs `sftp -r`. PENDING: put()/get() reached main after this bench was written; the figures are still to be added.
//
// To add them (a few lines): give bench/fabfiles/tasks.ts `putFile`/`getFile`/`putDir` tasks (put/get a path passed as
// a task argument, timing nothing: the harness times the whole `fab`), then in `sftp()` below interleave for each
// of the three figures { fabts: measure(fab(...task...)), openssh: measure(['sftp', '-c', CIPHER, '-b', batch, 'direct']),
// python: measure(python('transfer.py', ...)) } and turn them into rows with compare(samples, wall) (MiB/s: SIZE / wall).
// Targets: >= 1.0x OpenSSH both ways (ratio of throughputs, i.e. ratioOpenssh of wall <= 1.0) and >= 10x Python's put.
import { type BenchContext, type FigureResult } from '../context.ts';
import type { Row } from '../report.ts';

const PENDING = 'not measured yet: put/get reached main after this bench was written';

export async function sftp(_ctx: BenchContext): Promise<FigureResult> {
  const section = 'SFTP (OpenSSH = sftp with the same cipher)';
  const rows: Row[] = [
    { section, figure: '512 MiB put', unit: 'MiB/s', pending: PENDING, target: '>= 1.0x OpenSSH, >= 10x Python put' },
    { section, figure: '512 MiB get', unit: 'MiB/s', pending: PENDING, target: '>= 1.0x OpenSSH' },
    { section, figure: 'directory of 2,000 small files, put (vs sftp -r)', unit: 'ms', pending: PENDING, target: '>= 1.0x OpenSSH' },
  ];
  return { rows, notes: [`SFTP figures are pending: ${PENDING}; bench/figures/sftp.ts says how to add them.`] };
}
