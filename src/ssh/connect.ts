import type { Duplex, Writable } from 'node:stream';
import type { Client as ClientType, ConnectConfig, NegotiatedAlgorithms } from 'ssh2';
import { env } from '../env/env.ts';
import { FabError } from '../errors.ts';
import { events } from '../report/events.ts';
import { createAuthHandler, isRecoverableAuthError } from './auth.ts';
import { hostKeyQuestion, passphraseFor } from './credentials.ts';
import { makeHostVerifier } from './host-key-policy.ts';
import { startProxyCommand } from './proxy-command.ts';
import { PacketArena, useArenaForCiphers } from './packet-arena.ts';
import { queueUntilHandshakeDone } from './rekey-queue.ts';
import { loadClient } from './ssh2-modules.ts';
import { openSocket, ringOf } from './socket.ts';
import { ssh2InternalsKnown } from './ssh2-internals.ts';
import { wrapTransportWrites } from './transport-writes.ts';

const Client = loadClient();
import type { ConnectTarget } from './target.ts';


/** How ssh2 says the server closed the connection before sending its SSH banner. */
const CLOSED_BEFORE_BANNER = 'Connection lost before handshake';

/**
 * The server accepted the connection and closed it before saying a word: what OpenSSH does to connections past
 * its MaxStartups (it counts a handshake done only a moment after the client sees it done, so even a client that
 * keeps to the limit meets it). Worth another try, unlike a refusal.
 */
export function droppedBeforeBanner(error: unknown): boolean {
  return error instanceof FabError && error.code === 'CONNECT_FAILED' && (error.cause as Error | undefined)?.message === CLOSED_BEFORE_BANNER;
}

function connectError(target: ConnectTarget, error: unknown): FabError {
  if (error instanceof FabError) return error;
  const err = error as NodeJS.ErrnoException & { level?: string };
  const via = target.jump ? ` via ${target.jump.label}` : target.proxyCommand ? ' via ProxyCommand' : '';
  const where = `${target.label} (${target.hostname}:${target.port}${via})`;
  const reason =
    err.code === 'ECONNREFUSED'
      ? 'connection refused; is sshd running and the port right?'
      : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
        ? 'host name does not resolve; check the name or its HostName in ssh_config'
        : err.code === 'ETIMEDOUT' || /timed out/i.test(err.message)
          ? `timed out after ${target.connectTimeout}s; check the host is up and reachable (or raise --timeout)`
          : err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH'
            ? 'host unreachable'
            : /Channel open failure|open failed/i.test(err.message)
              ? `the gateway ${target.jump?.label ?? ''} could not reach it (channel open failed)`
              : err.message === CLOSED_BEFORE_BANNER
                ? 'the server closed the connection before the SSH handshake (too many at once for its MaxStartups?)'
                : err.message;
  return new FabError('CONNECT_FAILED', `cannot connect to ${where}: ${reason}`, { host: target.label, cause: error });
}

/** What the key exchange settled on, for --show debug (`Compression yes` shows up here). */
function describeHandshake(negotiated: NegotiatedAlgorithms): string {
  const { kex, serverHostKey, cs, sc } = negotiated;
  const compression = cs.compress === sc.compress ? cs.compress : `${cs.compress} out, ${sc.compress} in`;
  // An AEAD cipher (aes-gcm, chacha20-poly1305) has no separate MAC.
  return `negotiated kex ${kex}, host key ${serverHostKey}, cipher ${cs.cipher}${cs.mac ? `, mac ${cs.mac}` : ''}, compression ${compression}`;
}

export interface OpenedClient {
  client: ClientType;
  /** Why the connection closed, once it has. */
  closed: Promise<void>;
}

/** Opens and authenticates one SSH connection over the given transport (or a new TCP socket). */
export async function openClient(target: ConnectTarget, transport: Duplex | undefined, password: () => Promise<string | undefined>): Promise<ClientType> {
  let client: ClientType | undefined;
  const verifier = makeHostVerifier({
    policy: target.hostKeyPolicy,
    files: [...target.knownHostsFiles, ...target.globalKnownHostsFiles],
    writeFile: target.knownHostsFiles[0],
    host: target.hostKeyName,
    port: target.hostKeyPort,
    displayName: target.label,
    onWarning: (message) => events.emit({ kind: 'warning', host: target.label, message }),
    ask: hostKeyQuestion(target),
    // ssh2 counts the time a person takes to answer against readyTimeout: stop that timer (an ssh2 internal).
    onAsk: () => clearTimeout((client as unknown as { _readyTimeout?: NodeJS.Timeout })._readyTimeout),
  });
  const auth = createAuthHandler({
    host: target.label,
    username: target.user,
    ...(target.agent ? { agent: target.agent } : {}),
    identityFiles: target.identityFiles,
    configIdentityFiles: target.configIdentityFiles,
    identitiesOnly: target.identitiesOnly,
    useDefaultIdentities: target.useDefaultIdentities,
    onDebug: (message) => events.emit({ kind: 'debug', host: target.label, message }),
    // A key that differs from the recorded one, let in by -D: the other end may be an impostor collecting passwords.
    getPassword: () => (verifier.untrusted ? Promise.resolve(undefined) : password()),
    getPassphrase: passphraseFor(target),
  });
  const serverHostKey = await verifier.hostKeyAlgorithms();
  // The transport comes last: nothing listens for its errors until client.connect() below.
  const proxy = !transport && target.proxyCommand ? startProxyCommand(target) : undefined;
  const sock = transport ?? proxy?.sock ?? (await openSocket(target).catch((error) => Promise.reject(connectError(target, error))));
  const config: ConnectConfig = {
    sock: sock as unknown as ConnectConfig['sock'],
    host: target.hostname,
    port: target.port,
    username: target.user,
    authHandler: auth.authHandler as ConnectConfig['authHandler'],
    hostVerifier: verifier.hostVerifier as unknown as ConnectConfig['hostVerifier'],
    readyTimeout: target.connectTimeout * 1000,
    keepaliveInterval: target.keepaliveInterval * 1000,
    keepaliveCountMax: target.keepaliveCountMax,
    // ssh2 uses this agent only for forwarding: authentication goes through the auth handler.
    ...(target.forwardAgent && target.forwardAgentSocket ? { agent: target.forwardAgentSocket, agentForward: true } : {}),
    algorithms: {
      ...(serverHostKey ? { serverHostKey: serverHostKey as never } : {}),
      ...(target.compression ? { compress: ['zlib@openssh.com', 'zlib', 'none'] as never } : {}),
    },
  };
  client = new Client();
  const debug = (message: string) => events.emit({ kind: 'debug', host: target.label, message });
  if (target.forwardAgent && !target.forwardAgentSocket) debug('agent forwarding asked for, but there is no agent to forward (SSH_AUTH_SOCK is unset)');
  client.on('handshake', (negotiated) => debug(describeHandshake(negotiated)));
  client.on('banner', (message: string) => events.emit({ kind: 'banner', host: target.label, message }));
  return new Promise<ClientType>((resolve, reject) => {
    let settled = false;
    const settle = (error: FabError | undefined) => {
      if (settled) return;
      settled = true;
      if (!error) return resolve(client);
      client.end();
      reject(error);
    };
    // With a ProxyCommand, a broken transport is best explained by how the command ended.
    const transportFailed = (error: Error) => {
      if (!proxy) return settle(connectError(target, error));
      void proxy.failure().then((why) => settle(connectError(target, why ? new Error(why) : error)));
    };
    client.once('ready', () => {
      // From now on, bulk reads may land in the socket's ring (receive-ring.ts).
      if (sock) ringOf(sock)?.payloadsLeaveRing(client);
      settle(undefined);
    });
    // A persistent listener: ssh2 also emits errors it recovers from during auth (an absent agent,
    // a key it cannot use), and a later error with no listener would crash the process.
    client.on('error', (error: Error & { level?: string }) => {
      if (settled || isRecoverableAuthError(error)) return;
      if (verifier.error) return settle(verifier.error);
      if (error.level === 'client-authentication' || auth.methodsTried().length > 0) return settle(auth.failure());
      transportFailed(error);
    });
    client.once('close', () => {
      if (verifier.error) return settle(verifier.error);
      transportFailed(new Error('connection closed during the handshake'));
    });
    client.connect(config);
    // ssh2 made its protocol object in connect(): from the first cipher on, packets come from the arena.
    const protocol = (client as unknown as { _protocol?: object })._protocol;
    learnServerSigAlgs(protocol, auth.setServerSigAlgs);
    const adapt = ssh2InternalsKnown() && protocol !== undefined;
    if (adapt) queueUntilHandshakeDone(protocol);
    const arena = adapt ? new PacketArena() : undefined;
    wrapTransportWrites(sock as Writable, arena && protocol && useArenaForCiphers(protocol, arena) ? arena : undefined);
  });
}

/**
 * Passes the server's server-sig-algs (RFC 8308 EXT_INFO) on as well as to ssh2, which keeps them to itself:
 * the auth handler picks the RSA signature algorithm from them.
 */
function learnServerSigAlgs(protocol: object | undefined, learn: (algorithms: string[]) => void): void {
  const handlers = (protocol as { _handlers?: Record<string, (...args: unknown[]) => unknown> } | undefined)?._handlers;
  const original = handlers?.EXT_INFO;
  if (!handlers || typeof original !== 'function') return;
  handlers.EXT_INFO = (packet: unknown, extensions: unknown, ...rest: unknown[]) => {
    for (const extension of Array.isArray(extensions) ? (extensions as { name?: string; algs?: unknown }[]) : []) {
      if (extension.name === 'server-sig-algs' && Array.isArray(extension.algs)) learn(extension.algs.map(String));
    }
    return original(packet, extensions, ...rest);
  };
}

export { connectError };
