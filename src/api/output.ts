import type { Writable } from 'node:stream';
import type { RunState } from '../env/context.ts';
import { LineReporter } from '../report/lines.ts';
import { EventBus } from '../report/events.ts';

/** Where a Connection's output goes. Nothing is printed unless one of these asks for it. */
export interface OutputOptions {
  /** Receives the commands' standard output as it arrives (not the hidden one). */
  stdout?: Writable;
  /** Receives the commands' standard error as it arrives (not the hidden one). */
  stderr?: Writable;
  /** Called with every chunk of output, host being the host string the Connection was made with. */
  onOutput?: (host: string, stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** 'lines': fab's line output (`[web1] run: ...`, `[web1] out: ...`) on process.stdout/stderr. */
  reporter?: 'lines';
}

/**
 * A Connection's own event bus, wired to the output options it was given. Its operations emit here (the event bus
 * is found through their async context); each event is passed on to the bus of the run the Connection was made
 * in, so that run's listeners see it, and no other Connection does.
 */
export function outputBus(options: OutputOptions, run: RunState): EventBus {
  const bus = new EventBus();
  bus.subscribe((event) => run.events.emit(event));
  const { stdout, stderr, onOutput, reporter } = options;
  if (stdout || stderr || onOutput) {
    bus.subscribe((event) => {
      if (event.kind !== 'output' || event.hidden) return;
      (event.stream === 'stdout' ? stdout : stderr)?.write(event.bytes);
      onOutput?.(event.host ?? 'localhost', event.stream, event.bytes);
    });
  }
  if (reporter === 'lines') new LineReporter(process.stdout, process.stderr, false).attach(bus);
  return bus;
}
