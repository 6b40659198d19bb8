// src/ssh/ssh2-modules.ts leaves ssh2's Poly1305 WebAssembly out when the native addon handles chacha20-poly1305:
// that cipher must still work end to end, and the stand-in must be the only thing left out.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { loadClient } from '../../src/ssh/ssh2-modules.ts';
import { ssh2InternalsKnown } from '../../src/ssh/ssh2-internals.ts';
import { useTestbed } from '../support/remote.ts';

const tb = useTestbed();
const require = createRequire(import.meta.url);

function runOver(cipher: string, command: string): Promise<{ output: string; negotiated: string | undefined }> {
  const Client = loadClient();
  return new Promise((resolve, reject) => {
    const client = new Client();
    let output = '';
    let negotiated: string | undefined;
    client
      .on('handshake', (algorithms) => (negotiated = algorithms.cs.cipher))
      .on('ready', () =>
        client.exec(command, (error, channel) => {
          if (error) return reject(error);
          channel.on('data', (data: Buffer) => (output += data)).on('close', () => {
            client.end();
            resolve({ output, negotiated });
          });
        }),
      )
      .on('error', reject)
      .connect({
        host: '127.0.0.1',
        port: tb.hosts.direct.port,
        username: tb.user,
        privateKey: fs.readFileSync(tb.keyPath),
        algorithms: { cipher: [cipher] as never },
        hostVerifier: () => true,
      });
  });
}

test('chacha20-poly1305 works with the Poly1305 WebAssembly left out, and only it is a stand-in', async () => {
  const { output, negotiated } = await runOver('chacha20-poly1305@openssh.com', 'head -c 300000 /dev/zero | tr "\\0" x; echo; echo done');
  assert.equal(negotiated, 'chacha20-poly1305@openssh.com');
  assert.equal(output, `${'x'.repeat(300_000)}\ndone\n`);
  const poly = require.resolve('ssh2/lib/protocol/crypto/poly1305.js');
  const crypto = require('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean };
  if (ssh2InternalsKnown() && crypto.bindingAvailable) {
    const stand = require(poly) as () => Promise<{ cwrap: () => () => void }>;
    const instance = await stand();
    assert.throws(() => instance.cwrap()(), /left out/);
  }
  // The other ciphers are untouched.
  assert.equal((await runOver('aes128-gcm@openssh.com', 'echo gcm')).output, 'gcm\n');
});
