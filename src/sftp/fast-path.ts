import type { SFTPWrapper } from 'ssh2';
import { zeroCopyChannels } from '../ssh/receive-ring.ts';
import { ssh2InternalsKnown } from '../ssh/ssh2-internals.ts';

/**
 * The bulk data path of SFTP, written against ssh2 1.17's SFTP client internals (lib/protocol/SFTP.js).
 *
 * ssh2's write() copies every WRITE request (255 KiB with OpenSSH) into a new Buffer, and its receive side
 * reassembles every DATA reply (255 KiB) into a new Buffer before copying it out again. Those allocations,
 * 512 MiB each per 512 MiB moved, make V8 run a full mark-compact every few dozen MiB (it counts new
 * ArrayBuffers as external memory), which cost more client CPU than the cipher did. Here:
 *
 * - writeRequest() frames a WRITE in the caller's own buffer, whose head is left free for the header (see
 *   writeHeadroom), registers the request where ssh2's STATUS handler finds it, and sends it exactly as
 *   ssh2's tryWritePayload does: in channel packets within the window, the rest queued on ssh2's own queue.
 *   The caller reuses the buffer once the reply came (the server cannot reply before it had every byte).
 * - reassembleDataInto() sits in front of ssh2's push(): a large DATA reply is gathered in one buffer kept
 *   for the session and handed to ssh2 whole, which then copies the data into the read's buffer at once;
 *   everything else passes through byte for byte.
 *
 * Used only when ssh2InternalsKnown() and the session looks as expected; otherwise ssh2's own read/write run.
 */

const REQUEST_WRITE = 6;
const RESPONSE_DATA = 103;
/** ssh2's request ids wrap like this (SFTP.js MAX_REQID). */
const MAX_REQID = 2 ** 32 - 1;
/** DATA replies at least this large are gathered in the session's buffer; smaller ones pass through. */
const GATHER_FROM = 8 * 1024;

type StatusCallback = (error?: (Error & { code?: unknown }) | null) => void;

/** What this module touches of ssh2's SFTP object. */
interface SftpInternals {
  _writeReqid: number;
  _requests: Record<number, { cb: StatusCallback } | undefined>;
  _buffer: Buffer[];
  _waitWindow: boolean;
  _chunkcb: (() => void) | undefined;
  _protocol: { channelData(id: number, data: Buffer): void };
  outgoing: { id: number; window: number; packetSize: number; state: string };
  push(data: Buffer | null): unknown;
}

function internals(sftp: SFTPWrapper): SftpInternals | undefined {
  if (!ssh2InternalsKnown()) return undefined;
  const s = sftp as unknown as Partial<SftpInternals>;
  const ok =
    typeof s._writeReqid === 'number' &&
    typeof s._requests === 'object' &&
    Array.isArray(s._buffer) &&
    typeof s._protocol?.channelData === 'function' &&
    typeof s.outgoing?.window === 'number' &&
    typeof s.outgoing.packetSize === 'number' &&
    typeof s.push === 'function';
  return ok ? (s as SftpInternals) : undefined;
}

/** Bytes a WRITE request needs ahead of its data: length, type, id, handle, offset, data length. */
export function writeHeadroom(handle: Buffer): number {
  return 4 + 1 + 4 + 4 + handle.length + 8 + 4;
}

/** ssh2's tryWritePayload: as much as the window allows, in packets of at most the peer's packet size. */
function tryWrite(sftp: SftpInternals, payload: Buffer): Buffer | undefined {
  const outgoing = sftp.outgoing;
  if (outgoing.state !== 'open') return undefined;
  if (outgoing.window === 0) {
    waitForWindow(sftp);
    return payload;
  }
  let sent = 0;
  while (sent < payload.length && outgoing.window > 0) {
    const length = Math.min(payload.length - sent, outgoing.window, outgoing.packetSize);
    outgoing.window -= length;
    if (outgoing.window === 0) waitForWindow(sftp);
    sftp._protocol.channelData(outgoing.id, sent === 0 && length === payload.length ? payload : payload.subarray(sent, sent + length));
    sent += length;
  }
  return sent < payload.length ? payload.subarray(sent) : undefined;
}

/**
 * ssh2's drainBuffer: on the next WINDOW_ADJUST, ssh2's client calls `_chunkcb` with the session as `this`.
 * Either drain function empties the one queue in order (ssh2's own requests and these alike).
 */
function drain(this: SftpInternals): void {
  this._chunkcb = undefined;
  const queue = this._buffer;
  let index = 0;
  for (; index < queue.length; index++) {
    const payload = queue[index]!;
    const rest = tryWrite(this, payload);
    if (rest !== undefined) {
      if (rest !== payload) queue[index] = rest;
      if (index > 0) this._buffer = queue.slice(index);
      return;
    }
  }
  if (index > 0) this._buffer = [];
}

function waitForWindow(sftp: SftpInternals): void {
  sftp._waitWindow = true;
  sftp._chunkcb = drain;
}

/** Whether writeRequest() can be used on this session. */
export function canWriteInPlace(sftp: SFTPWrapper): boolean {
  return internals(sftp) !== undefined;
}

/**
 * Sends WRITE(handle, position, buffer[headroom, headroom + length)) framed in place: buffer[0, headroom)
 * is overwritten with the request header. `done` gets ssh2's STATUS error, if any. Keep the buffer
 * untouched until then.
 */
export function writeRequest(sftp: SFTPWrapper, handle: Buffer, buffer: Buffer, length: number, position: number, done: StatusCallback): void {
  const s = internals(sftp)!;
  const headroom = writeHeadroom(handle);
  const payload = buffer.subarray(0, headroom + length);
  if (s.outgoing.state !== 'open') return done(new Error('the SFTP session is closed'));
  const id = (s._writeReqid = (s._writeReqid + 1) & MAX_REQID) >>> 0;
  payload.writeUInt32BE(payload.length - 4, 0);
  payload[4] = REQUEST_WRITE;
  payload.writeUInt32BE(id, 5);
  payload.writeUInt32BE(handle.length, 9);
  handle.copy(payload, 13);
  let at = 13 + handle.length;
  payload.writeUInt32BE(Math.floor(position / 2 ** 32), at);
  payload.writeUInt32BE(position >>> 0, at + 4);
  payload.writeUInt32BE(length, (at += 8));
  s._requests[id] = { cb: done };
  const rest = tryWrite(s, payload);
  if (rest !== undefined) s._buffer.push(rest);
}

/**
 * Puts a gatherer in front of ssh2's push() for this session (see the top of this file). Idempotent;
 * returns false when the session is not one this was written for.
 */
export function reassembleDataInto(sftp: SFTPWrapper): boolean {
  const s = internals(sftp);
  if (!s) return false;
  if (gathering.has(sftp)) return true;
  gathering.add(sftp);
  // Its data may stay in the connection's receive ring: everything passed to ssh2 below is copied first.
  zeroCopyChannels.add(sftp);
  const push = s.push;
  const header = Buffer.alloc(5);
  let headerBytes = 0;
  /** Bytes of the current packet still to pass through (after its header). */
  let passing = 0;
  /** The DATA packet being gathered, and how much of it is in. */
  let frame: Buffer | undefined;
  let frameBytes = 0;
  let gather = Buffer.alloc(0);
  s.push = function gatheringPush(this: SftpInternals, data: Buffer | null) {
    if (data === null) return push.call(this, data);
    let at = 0;
    while (at < data.length) {
      if (passing > 0) {
        const length = Math.min(passing, data.length - at);
        // A copy: ssh2 keeps views of what it parses (a handle, for one), and `data` may lie in a receive ring.
        push.call(this, Buffer.from(data.subarray(at, at + length)));
        passing -= length;
        at += length;
      } else if (frame) {
        const length = Math.min(frame.length - frameBytes, data.length - at);
        data.copy(frame, frameBytes, at, at + length);
        frameBytes += length;
        at += length;
        if (frameBytes === frame.length) {
          const whole = frame;
          frame = undefined;
          // ssh2 parses it at once and copies the data out before returning: the buffer may be refilled.
          push.call(this, whole);
        }
      } else {
        const length = Math.min(5 - headerBytes, data.length - at);
        data.copy(header, headerBytes, at, at + length);
        headerBytes += length;
        at += length;
        if (headerBytes < 5) break;
        headerBytes = 0;
        const packetLength = header.readUInt32BE(0);
        if (header[4] === RESPONSE_DATA && packetLength >= GATHER_FROM && packetLength > 1) {
          if (gather.length < 4 + packetLength) gather = Buffer.allocUnsafeSlow(4 + packetLength);
          frame = gather.subarray(0, 4 + packetLength);
          header.copy(frame, 0);
          frameBytes = 5;
        } else {
          // ssh2 checks the length itself (and fails the session on a bad one).
          push.call(this, Buffer.from(header));
          passing = packetLength > 0 ? packetLength - 1 : 0;
        }
      }
    }
    return undefined;
  };
  return true;
}

const gathering = new WeakSet<SFTPWrapper>();

/** Whether DATA replies of this session are gathered by reassembleDataInto(). */
export function gathersData(sftp: SFTPWrapper): boolean {
  return gathering.has(sftp);
}
