import { createRequire } from 'node:module';
import type Ssh2 from 'ssh2';

/**
 * The parts of ssh2 fabts uses, each required from its own file when first needed: ssh2's index also loads
 * its server, its HTTP agents (and with them Node's http, https and tls) and its key generator, ~5 ms of CPU
 * of every `fab` that connects. With a layout other than ssh2 1.x's, the index is used.
 */
const require = createRequire(import.meta.url);

function part<T>(path: string, fromIndex: (index: typeof Ssh2) => T, fromFile: (module: never) => T): T {
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
