// Reads the output bytes of one command back out of a --log-dir host log (docs/execution.md, "--log-dir"):
// records are `<ISO time> <label>: <payload>\n`; an output record's payload is a line of output with its newline,
// and the records `out: \ no newline at end of output` / `out: \ line continues` say that the newline ending
// the record before them was not in the output.
const MARKERS = ['\\ no newline at end of output', '\\ line continues'].map((text) => Buffer.from(text));
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z $/;

/** The records of a log: label and payload (without the record's own trailing newline). */
export function logRecords(log: Buffer): { label: string; payload: Buffer }[] {
  const records: { label: string; payload: Buffer }[] = [];
  for (let start = 0; start < log.length; ) {
    let end = log.indexOf(0x0a, start);
    if (end === -1) end = log.length;
    const record = log.subarray(start, end);
    start = end + 1;
    const time = record.subarray(0, 25).toString('latin1');
    if (!TIME.test(time)) throw new Error(`not a log record: ${JSON.stringify(record.subarray(0, 80).toString('latin1'))}`);
    const colon = record.indexOf(': ', 25);
    const label = colon === -1 ? record.subarray(25).toString('latin1') : record.subarray(25, colon).toString('latin1');
    records.push({ label, payload: colon === -1 ? Buffer.alloc(0) : record.subarray(colon + 2) });
  }
  return records;
}

/**
 * The exact bytes a command wrote to one stream, from the record `run: <command>` (or sudo/local) to its
 * `exit:` record. Throws when the command is not in the log.
 */
export function commandOutput(log: Buffer, command: string, stream: 'out' | 'err' = 'out'): Buffer {
  const records = logRecords(log);
  const first = records.findIndex((record) => ['run', 'sudo', 'local'].includes(record.label) && record.payload.toString('utf8') === command);
  if (first === -1) throw new Error(`no record of the command ${command} in the log`);
  const pieces: Buffer[] = [];
  for (const record of records.slice(first + 1)) {
    if (record.label === 'exit') break;
    if (record.label !== stream) continue;
    if (MARKERS.some((marker) => marker.equals(record.payload))) {
      const last = pieces.pop()!;
      pieces.push(last.subarray(0, last.length - 1));
    } else {
      pieces.push(Buffer.concat([record.payload, Buffer.from('\n')]));
    }
  }
  return Buffer.concat(pieces);
}
