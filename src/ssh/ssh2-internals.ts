import { createRequire } from 'node:module';

/**
 * fabts reaches into a few undocumented parts of ssh2 for its bulk data path (packet-arena.ts,
 * receive-ring.ts, sftp/fast-path.ts) and to work around a re-key bug (rekey-queue.ts). They were read and
 * tested against these versions only: with any other ssh2 the adaptations stay off and ssh2 runs as shipped
 * (correct, only slower, and re-keying while uploading breaks the connection). When ssh2 is upgraded, re-read
 * lib/protocol/crypto.js (allocPacket, encrypt, the deciphers' decrypt and _onPayload), lib/protocol/SFTP.js
 * (write, push, tryWritePayload, drainBuffer, the DATA and STATUS handlers), lib/protocol/kex.js (_cipher,
 * _decipher, _kexinit, _onHandshakeComplete) and lib/client.js (CHANNEL_DATA, CHANNEL_WINDOW_ADJUST,
 * _chanMgr), then extend this list; test/integration/transfer-fast-path.test.ts fails while the installed
 * ssh2 is not on it. FABTS_SSH2_STOCK=1 in the environment turns every adaptation off.
 */
const KNOWN_VERSIONS = /^1\.17\.\d+$/;

let known: boolean | undefined;

/** Whether the installed ssh2 is one whose internals fabts' adaptations were written for. */
export function ssh2InternalsKnown(): boolean {
  if (known === undefined) {
    try {
      const version = (createRequire(import.meta.url)('ssh2/package.json') as { version?: string }).version ?? '';
      known = KNOWN_VERSIONS.test(version) && process.env.FABTS_SSH2_STOCK === undefined;
    } catch {
      known = false;
    }
  }
  return known;
}
