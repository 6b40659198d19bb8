import { IdleTimer } from '../util/idle-timer.ts';
import { ssh2InternalsKnown } from './ssh2-internals.ts';

/**
 * Where a direct connection's socket reads land (Node's `onread` option of net.connect).
 *
 * Node allocates a new Buffer for every socket read: a download of 512 MiB is 512 MiB of new ArrayBuffers,
 * and V8 runs a full mark-compact for every few dozen MiB of those (see packet-arena.ts). Here:
 *
 * - Reads normally go to one scratch buffer shared by every socket of the process and are copied out at
 *   once, into a Buffer of their own size: what Node does anyway (it allocates, then shrinks to the bytes
 *   read), and an idle connection holds no read buffer at all. Sharing is safe: a read is copied out in its
 *   callback before libuv starts the next one, on any socket.
 * - During bulk transfers (reads coming back full), reads go to a ring of its own that the connection
 *   reuses, with no copy. That memory is rewritten two megabytes later, so nothing may keep a view of it:
 *   every SSH message decrypted there is copied before ssh2 sees it (payloadsLeaveRing), except the data of
 *   SFTP sessions that copy everything out as they parse it (zeroCopyChannels: sftp/fast-path.ts). ssh2's
 *   AEAD deciphers keep one view of the previous read at most (a packet whose tag has not come yet), far
 *   less than a ring's turn. The ring is used only once the connection is up, only with ssh2's native AEAD
 *   deciphers, and only with the ssh2 versions these internals were read for (ssh2-internals.ts).
 */

const SCRATCH_SIZE = 64 * 1024;
const RING_SIZE = 2 * 1024 * 1024;
const RING_READ = 256 * 1024;
/** A read at least this large means data is streaming in: the next reads go to the ring. */
const STREAMING_READ = 32 * 1024;
const IDLE_MS = 2000;
const CHANNEL_DATA = 94;

let scratch: Buffer | undefined;

/** SFTP sessions whose CHANNEL_DATA may stay in the ring: they copy out all they keep while parsing it. */
export const zeroCopyChannels = new WeakSet<object>();

interface Ssh2Client {
  _protocol?: { _decipher?: unknown };
  _chanMgr?: { get(id: number): unknown };
}

interface Ssh2Decipher {
  _onPayload(payload: Buffer): unknown;
}

const RING_DECIPHERS = new Set(['AESGCMDecipherBinding', 'ChaChaPolyDecipherBinding']);

export class ReceiveRing {
  private memory: Buffer | undefined;
  private at = 0;
  /** Whether the connection is up with a decipher the ring may be used with. */
  private allowed = false;
  private streaming = false;
  /** Whether Node holds a region of the ring for its next read. */
  private ringHeld = false;
  private idle = false;
  /** After IDLE_MS without a ring read the ring goes; reads go to the scratch buffer until data streams again. */
  private readonly idleTimer = new IdleTimer(IDLE_MS, () => {
    // While Node still holds a region of it for the next read, next() drops it after that read.
    this.idle = true;
    if (!this.ringHeld) this.memory = undefined;
  });

  /** Whether bulk reads may land in the ring (the connection is up, with a decipher it works with). */
  get active(): boolean {
    return this.allowed;
  }

  /** The buffer for the next read (called by Node after each read, and once at the start). */
  next = (): Buffer => {
    if (!this.allowed || !this.streaming) {
      this.ringHeld = false;
      if (this.idle) this.memory = undefined;
      return (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE));
    }
    if (!this.memory) {
      this.memory = Buffer.allocUnsafeSlow(RING_SIZE);
      this.at = 0;
    }
    if (this.at + RING_READ > RING_SIZE) this.at = 0;
    this.ringHeld = true;
    this.idle = false;
    return this.memory.subarray(this.at, this.at + RING_READ);
  };

  /** The bytes of a read to hand on: a view into the ring, or a copy out of the scratch buffer. */
  received(buffer: Buffer, length: number): Buffer {
    this.streaming = length >= STREAMING_READ;
    if (!this.memory || buffer.buffer !== this.memory.buffer) return Buffer.from(buffer.subarray(0, length));
    this.at += (length + 15) & ~15;
    this.idleTimer.touch();
    return buffer.subarray(0, length);
  }

  /**
   * Once the connection is up: every message decrypted in the ring is copied before ssh2 handles it (but
   * zero-copy channel data), for this decipher and each later one (re-keying). Returns whether the ring is on.
   */
  payloadsLeaveRing(client: object): boolean {
    const { _protocol: protocol, _chanMgr: channels } = client as Ssh2Client;
    if (!ssh2InternalsKnown() || !protocol || typeof channels?.get !== 'function') return false;
    const descriptor = Object.getOwnPropertyDescriptor(protocol, '_decipher');
    if (!descriptor || !('value' in descriptor) || !descriptor.writable) return false;
    const staysInRing = (payload: Buffer) => payload[0] === CHANNEL_DATA && payload.length >= 5 && zeroCopyChannels.has(channels.get(payload.readUInt32BE(1)) as object);
    const adopt = (decipher: unknown) => {
      this.allowed = false;
      if (!decipher || !RING_DECIPHERS.has((decipher as object).constructor.name)) return;
      const d = decipher as Ssh2Decipher;
      if (typeof d._onPayload !== 'function') return;
      // ssh2 swaps the handler during a re-key (kex.js: the KEX handler keeps the server's KEXINIT for the
      // exchange hash): whatever handler is set gets its payloads out of the ring too.
      let handler = d._onPayload;
      const outOfRing = (payload: Buffer) => handler(this.memory && payload.buffer === this.memory.buffer && !staysInRing(payload) ? Buffer.from(payload) : payload);
      Object.defineProperty(d, '_onPayload', {
        configurable: true,
        enumerable: true,
        get: () => outOfRing,
        set: (next: Ssh2Decipher['_onPayload']) => (handler = next),
      });
      this.allowed = true;
    };
    let decipher = descriptor.value as unknown;
    adopt(decipher);
    Object.defineProperty(protocol, '_decipher', {
      configurable: true,
      enumerable: descriptor.enumerable ?? true,
      get: () => decipher,
      set: (next: unknown) => {
        decipher = next;
        adopt(next);
      },
    });
    return this.allowed;
  }

}
