import { currentHost } from '../../env/context.ts';
import { AbortError } from '../../errors.ts';
import { events } from '../../report/events.ts';

/** Stops the task with a message (Fabric's abort): the host fails with this message. */
export function abort(message: string): never {
  throw new AbortError(message, currentHost()?.text);
}

/** Prints a warning attributed to the current host and goes on. */
export function warn(message: string): void {
  events.emit({ kind: 'warning', host: currentHost()?.text, message });
}
