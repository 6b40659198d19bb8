import type { FastifyRequest } from 'fastify';
import { isLoopback, type ServeSettings } from './options.ts';
import { ApiError } from './problem.ts';

/** The media types a route can answer with, for the Accept check. */
export type Produces = 'json' | 'sse' | 'text' | 'any';

const TYPES: Record<Produces, string[]> = {
  json: ['application/json', 'application/problem+json'],
  sse: ['text/event-stream', 'application/x-ndjson'],
  text: ['text/plain'],
  any: [],
};

/** The host name of a Host header: `[::1]:8181` -> `::1`, `Example.com.:80` -> `example.com`. */
export function hostName(header: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  const name = bracketed ? bracketed[1]! : header.replace(/:\d+$/, '');
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * 421 for a Host the server does not answer to: on loopback, a page on evil.example whose name was re-pointed at
 * 127.0.0.1 (DNS rebinding) would otherwise reach the API as a same-origin page.
 */
export function checkHost(request: FastifyRequest, settings: ServeSettings, extra: string[]): void {
  const header = request.headers.host;
  if (!header) throw new ApiError(400, 'the request has no Host header');
  const name = hostName(header);
  const wildcard = settings.host === '0.0.0.0' || settings.host === '::';
  if (wildcard && extra.length === 0) return;
  const names = new Set(['localhost', '127.0.0.1', '::1', settings.host.toLowerCase(), ...extra.map((item) => item.toLowerCase())]);
  if (names.has(name) || (isLoopback(name) && isLoopback(settings.host))) return;
  throw new ApiError(421, `this server does not answer to the name "${name.slice(0, 100)}"; use ${settings.host}:${request.socket.localPort ?? settings.port}`);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * 403 for a state-changing request from another web origin: a page the user has open elsewhere could otherwise
 * POST a deploy to a loopback server (no CORS preflight is needed for a simple POST). Clients that are not
 * browsers (curl, CI) send no Origin and pass.
 */
export function checkOrigin(request: FastifyRequest, settings: ServeSettings): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  const own = `${settings.tlsCert ? 'https' : 'http'}://${request.headers.host}`;
  if ((origin !== undefined && origin.toLowerCase() !== own.toLowerCase()) || site === 'cross-site') {
    throw new ApiError(403, `requests from ${String(origin ?? 'another site').slice(0, 100)} may not change anything here`);
  }
}

/** 406 when the client accepts none of what the route answers with. */
export function checkAccept(request: FastifyRequest, produces: Produces): void {
  const accept = request.headers.accept;
  if (!accept || produces === 'any') return;
  const ranges = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  const ok = ranges.some((range) => range === '*/*' || TYPES[produces].some((type) => range === type || range === `${type.split('/')[0]}/*`));
  if (!ok) throw new ApiError(406, `this answers with ${TYPES[produces].join(' or ')}; the Accept header allows none of them`);
}
