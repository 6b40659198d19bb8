import { randomFillSync } from 'node:crypto';
import { IdleTimer } from '../util/idle-timer.ts';

/**
 * Outbound SSH packets carved from reused slabs instead of a new Buffer each.
 *
 * ssh2 (1.17) allocates every outgoing packet with Buffer.allocUnsafe and fills its padding with its own
 * randomFillSync call. An upload sends 16,384 packets of 32 KiB per 512 MiB: V8 counts each new ArrayBuffer
 * as external memory and starts a full mark-compact every 64 MiB or so of them, and those collections, not
 * the cipher, were most of fabts' client CPU on a put. Here packets of a connection come from a few slabs
 * that are reused once the transport has taken their bytes (the transport's write callback, counted per
 * slab by trackTransportWrites), and padding comes from a pool of random bytes refilled 64 KiB at a time.
 *
 * Scope: only ssh2's native-binding ciphers (AES-GCM, ChaCha20-Poly1305, AES-CTR/CBC + HMAC), which encrypt
 * the packet in place and hand that very memory to the transport; the pure-JS fallbacks write other buffers
 * and are left alone. Small packets (commands, window adjusts) keep Node's own pooled small buffers, but their
 * padding too comes from the pool of random bytes.
 */

/** Packets smaller than this keep ssh2's allocation: Node already carves those from a shared pool. */
const MIN_ARENA_PACKET = 4 * 1024;
const SLAB_SIZE = 512 * 1024;
/** Free slabs a busy connection keeps; an idle one drops them all (see IDLE_MS). */
const MAX_FREE_SLABS = 8;
const IDLE_MS = 2000;
const RANDOM_POOL = 64 * 1024;

/** Random bytes for padding, shared by every connection of the process: bytes are handed out once each. */
let random: Buffer | undefined;
let randomAt = RANDOM_POOL;

function padding(packet: Buffer, start: number, length: number): void {
  if (randomAt + length > RANDOM_POOL) {
    random ??= Buffer.allocUnsafeSlow(RANDOM_POOL);
    randomFillSync(random);
    randomAt = 0;
  }
  random!.copy(packet, start, randomAt, randomAt + length);
  randomAt += length;
}

interface Slab {
  memory: Buffer;
  /** The arena's generation when the slab was made: slabs of an earlier one (before going idle) are not kept. */
  generation: number;
  used: number;
  /** Writes handed to the transport and not yet done with. */
  pending: number;
  retired: boolean;
}

export class PacketArena {
  private current: Slab | undefined;
  private free: Slab[] = [];
  private readonly bySlabMemory = new WeakMap<ArrayBufferLike, Slab>();
  private generation = 0;
  /** After IDLE_MS without a large packet, the slabs go (an idle connection holds none). */
  private readonly idle = new IdleTimer(IDLE_MS, () => {
    this.generation++;
    this.free = [];
    this.current = undefined;
  });

  /** A packet of `size` bytes; undefined when it is better left to Buffer.allocUnsafe (small ones: Node pools them). */
  alloc(size: number): Buffer | undefined {
    if (size < MIN_ARENA_PACKET || size > SLAB_SIZE / 4) return undefined;
    let slab = this.current;
    if (!slab || slab.used + size > SLAB_SIZE) {
      this.current = undefined;
      if (slab) this.retire(slab);
      slab = this.current = this.free.pop() ?? this.newSlab();
      slab.used = 0;
      slab.retired = false;
    }
    const packet = slab.memory.subarray(slab.used, slab.used + size);
    slab.used += (size + 15) & ~15;
    this.idle.touch();
    return packet;
  }

  /** Fills padding with random bytes from the pool (one randomFillSync per 64 KiB, not one per packet). */
  pad(packet: Buffer, start: number, length: number): void {
    padding(packet, start, length);
  }

  /**
   * Called for every chunk written to the transport: when it lies in a slab, that slab is in use until the
   * returned callback runs (the transport's write callback). Undefined when the chunk is not the arena's.
   */
  taken(chunk: Buffer): (() => void) | undefined {
    const slab = this.bySlabMemory.get(chunk.buffer);
    if (!slab) return undefined;
    slab.pending++;
    return () => {
      slab.pending--;
      if (slab.retired && slab.pending === 0) this.recycle(slab);
    };
  }

  private newSlab(): Slab {
    const slab: Slab = { memory: Buffer.allocUnsafeSlow(SLAB_SIZE), generation: this.generation, used: 0, pending: 0, retired: false };
    this.bySlabMemory.set(slab.memory.buffer, slab);
    return slab;
  }

  /**
   * A full slab: reusable once every write from it is done. Every packet carved from it before now has been
   * written already or dropped, since ssh2 allocates, encrypts and writes a packet in one synchronous step.
   */
  private retire(slab: Slab): void {
    slab.retired = true;
    if (slab.pending === 0) this.recycle(slab);
  }

  private recycle(slab: Slab): void {
    if (slab === this.current || slab.generation !== this.generation || this.free.length >= MAX_FREE_SLABS) return;
    slab.retired = false;
    slab.used = 0;
    this.free.push(slab);
  }

}

/** What packet-arena needs of an ssh2 native-binding cipher (lib/protocol/crypto.js, ssh2 1.17). */
interface BindingCipher {
  allocPacket(payloadLength: number): Buffer;
  _encBlockLen?: number;
  _aadLen?: number;
  _macLen?: number;
}

/** Padding block, bytes of the length field excluded from it, and trailer (tag or MAC) of each binding cipher. */
function layoutOf(cipher: BindingCipher): { block: number; aad: number; trailer: number } | undefined {
  switch (cipher.constructor.name) {
    case 'AESGCMCipherBinding':
      return { block: 16, aad: 4, trailer: 16 };
    case 'ChaChaPolyCipherBinding':
      return { block: 8, aad: 4, trailer: 16 };
    case 'GenericCipherBinding': {
      const { _encBlockLen: block, _aadLen: aad, _macLen: trailer } = cipher;
      if (typeof block !== 'number' || typeof aad !== 'number' || typeof trailer !== 'number') return undefined;
      return { block, aad, trailer };
    }
    default:
      return undefined;
  }
}

/**
 * Gives a cipher an allocPacket that uses the arena. The layout is ssh2's own (crypto.js): uint32 length,
 * byte padding length, payload, at least 4 bytes of random padding up to the cipher's block, room for the tag.
 */
function adoptCipher(cipher: BindingCipher, arena: PacketArena): void {
  const layout = layoutOf(cipher);
  if (!layout) return;
  cipher.allocPacket = (payloadLength: number): Buffer => {
    let length = 4 + 1 + payloadLength;
    let padding = layout.block - ((length - layout.aad) & (layout.block - 1));
    if (padding < 4) padding += layout.block;
    length += padding;
    const packet = arena.alloc(length + layout.trailer) ?? Buffer.allocUnsafe(length + layout.trailer);
    packet.writeUInt32BE(length - 4, 0);
    packet[4] = padding;
    arena.pad(packet, 5 + payloadLength, padding);
    return packet;
  };
}

/**
 * Makes every cipher ssh2 installs on this protocol (the first after the key exchange, then one per re-key)
 * allocate from the arena. ssh2 sets `_cipher` by plain assignment (kex.js), which this accessor sees.
 */
export function useArenaForCiphers(protocol: object, arena: PacketArena): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(protocol, '_cipher');
  if (!descriptor || !('value' in descriptor) || !descriptor.writable) return false;
  let cipher = descriptor.value as BindingCipher | undefined;
  Object.defineProperty(protocol, '_cipher', {
    configurable: true,
    enumerable: descriptor.enumerable ?? true,
    get: () => cipher,
    set: (next: BindingCipher | undefined) => {
      cipher = next;
      if (next && typeof next.allocPacket === 'function') adoptCipher(next, arena);
    },
  });
  return true;
}
