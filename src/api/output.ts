import type { Writable } from 'node:stream';
import { currentContext } from '../env/context.ts';
import { LineReporter } from '../report/lines.ts';
import { EventBus, events } from '../report/events.ts';

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

let routing = false;

/**
 * Events are emitted on the process-wide bus, synchronously, inside the emitter's async context: one listener
 * hands each to the bus of the Connection it came from, so that Connections never see each other's events.
 */
function routeEvents(): void {
  if (routing) return;
  routing = true;
  events.subscribe((event) => currentContext()?.events?.emit(event));
}

/** A Connection's own event bus, wired to the output options it was given. */
export function outputBus(options: OutputOptions): EventBus {
  routeEvents();
  const bus = new EventBus();
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
