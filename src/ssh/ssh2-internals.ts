import { createRequire } from 'node:module';

/**
 * fabts reaches into a few undocumented parts of ssh2 for its bulk data path (see packet-arena.ts and
 * sftp/fast-path.ts). They were read and tested against these versions only: with any other ssh2 the
 * adaptations stay off and ssh2 runs as shipped (correct, only slower). When ssh2 is upgraded, re-read
 * lib/protocol/crypto.js (allocPacket, encrypt), lib/protocol/SFTP.js (write, push, tryWritePayload,
 * drainBuffer, the DATA handler) and lib/client.js (CHANNEL_WINDOW_ADJUST), then extend this list;
 * test/integration/transfer-fast-path.test.ts fails while the installed ssh2 is not on it.
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
