import Module, { createRequire } from 'node:module';
import type Ssh2 from 'ssh2';
import { ssh2InternalsKnown } from './ssh2-internals.ts';

/**
 * The parts of ssh2 fabts uses, each required from its own file when first needed: ssh2's index also loads
 * its server, its HTTP agents (and with them Node's http, https and tls) and its key generator, ~5 ms of CPU
 * of every `fab` that connects. With a layout other than ssh2 1.x's, the index is used.
 */
const require = createRequire(import.meta.url);

/**
 * ssh2's crypto.js compiles and instantiates its Poly1305 WebAssembly (emscripten glue, ~5-10 ms of CPU) as it
 * loads, on every `fab` that connects, for the one cipher class that needs it: chacha20-poly1305 without ssh2's
 * native addon. With the addon present that class is never made (crypto.js picks the addon's ChaCha20-Poly1305),
 * so the module stands in as an instance that is never called. Only for the ssh2 versions whose crypto.js this
 * was read against (ssh2-internals.ts); FABTS_SSH2_STOCK=1 leaves ssh2 as shipped.
 */
let wasmSkipped = false;
function skipUnusedPoly1305Wasm(): void {
  if (wasmSkipped) return;
  wasmSkipped = true;
  if (!ssh2InternalsKnown()) return;
  let file: string;
  try {
    const addon = require('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node') as Record<string, unknown>;
    if (typeof addon.ChaChaPolyCipher !== 'function' || typeof addon.ChaChaPolyDecipher !== 'function') return;
    file = require.resolve('ssh2/lib/protocol/crypto/poly1305.js');
  } catch {
    return;
  }
  if (require.cache[file]) return;
  const unused = () => {
    throw new Error("ssh2's Poly1305 WebAssembly was left out: its native addon is present and handles chacha20-poly1305");
  };
  const stand = new Module(file);
  stand.filename = file;
  stand.loaded = true;
  stand.exports = () => Promise.resolve({ _malloc: () => 0, cwrap: () => unused });
  require.cache[file] = stand;
}

function part<T>(path: string, fromIndex: (index: typeof Ssh2) => T, fromFile: (module: never) => T): T {
  skipUnusedPoly1305Wasm();
  try {
    return fromFile(require(path) as never);
  } catch {
    return fromIndex(require('ssh2') as typeof Ssh2);
  }
}

export function loadClient(): typeof Ssh2.Client {
  return part('ssh2/lib/client.js', (index) => index.Client, (client: typeof Ssh2.Client) => client);
}

type Agents = Pick<typeof Ssh2, 'BaseAgent' | 'createAgent'>;
export function loadAgents(): Agents {
  return part('ssh2/lib/agent.js', (index) => index, (agents: Agents) => agents);
}

type ParseKey = typeof Ssh2.utils.parseKey;
let parser: ParseKey | undefined;
/** ssh2's key parser, loaded on first use (keys.ts is on every fab's start-up path; fab -l never parses a key). */
export const parseKey: ParseKey = (...args) => {
  parser ??= part('ssh2/lib/protocol/keyParser.js', (index) => index.utils.parseKey, (module: { parseKey: ParseKey }) => module.parseKey);
  return parser(...args);
};
