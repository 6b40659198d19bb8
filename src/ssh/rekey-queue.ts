/**
 * Works around an ssh2 1.17 bug that breaks a connection re-keyed while it sends (an upload, for one).
 *
 * During a key exchange ssh2 queues outgoing packets, deciding by `protocol._kexinit !== undefined`, and
 * builds them without their 5-byte header (`_packetRW.write.allocStart` is 0). On the server's KEX reply it
 * clears `_kexinit` (kex.js), but the new cipher and packet writer (allocStart 5) only come when the
 * handshake completes. Packets sent in between are neither queued nor given their header: sshd reads
 * their first bytes as a length ("Bad packet length 1577058304") and drops the connection. Measured here:
 * every upload re-keyed in flight failed, with fabts' adaptations or without.
 *
 * Fix: `_kexinit` keeps reading as set until the handshake has completed, so such packets wait in the
 * queue that ssh2 drains, in order and with the new keys, once it has.
 */
const EXCHANGING = Buffer.alloc(0);

interface Ssh2Protocol {
  _onHandshakeComplete: (...args: unknown[]) => unknown;
}

export function queueUntilHandshakeDone(protocol: object): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(protocol, '_kexinit');
  const complete = (protocol as Partial<Ssh2Protocol>)._onHandshakeComplete;
  if (!descriptor || !('value' in descriptor) || !descriptor.writable || typeof complete !== 'function') return false;
  let payload = descriptor.value as unknown;
  let exchanging = payload !== undefined;
  Object.defineProperty(protocol, '_kexinit', {
    configurable: true,
    enumerable: descriptor.enumerable ?? true,
    get: () => payload ?? (exchanging ? EXCHANGING : undefined),
    set: (next: unknown) => {
      payload = next;
      if (next !== undefined) exchanging = true;
    },
  });
  (protocol as Ssh2Protocol)._onHandshakeComplete = (...args: unknown[]) => {
    exchanging = false;
    return complete.apply(protocol, args);
  };
  return true;
}
