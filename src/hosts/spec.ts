import { isIPv6 } from 'node:net';
import { UsageError } from '../errors.ts';

/** A host string taken apart: `user@host:port`, `[v6::addr]:port`, or an ssh_config alias. */
export interface HostSpec {
  user?: string;
  host: string;
  port?: number;
  /** The string as the user wrote it. */
  text: string;
}

const ACCEPTED_FORMS = 'use host, user@host, host:port, user@host:port, [v6::addr]:port or a bare v6 address';

function badHost(text: string, problem: string): UsageError {
  return new UsageError(`Bad host string ${JSON.stringify(text)}: ${problem}; ${ACCEPTED_FORMS}`, 'BAD_HOST');
}

function parsePort(text: string, port: string): number {
  if (port === '') throw badHost(text, 'the port after ":" is empty');
  if (!/^[0-9]+$/.test(port)) throw badHost(text, `port "${port}" is not a number`);
  const value = Number(port);
  if (value < 1 || value > 65535) throw badHost(text, `port ${port} is not in 1..65535`);
  return value;
}

/**
 * Parses `host`, `user@host`, `host:port`, `user@host:port`, `[v6::addr]`, `[v6::addr]:port` and bare v6 addresses.
 * The user is everything before the last `@`, so it may itself contain `@`.
 * @throws UsageError with code BAD_HOST, saying what is wrong and which forms are accepted.
 */
export function parseHostString(text: string): HostSpec {
  if (text === '') throw badHost(text, 'it is empty');
  // Spaces, controls and DEL: a host string is one shell word and one line of output.
  if (/[\s\u0000-\u001f\u007f]/u.test(text)) throw badHost(text, 'it contains spaces or control characters');

  const at = text.lastIndexOf('@');
  const user = at === -1 ? undefined : text.slice(0, at);
  const rest = at === -1 ? text : text.slice(at + 1);
  if (user === '') throw badHost(text, 'the user before "@" is empty');

  let host: string;
  let port: number | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) throw badHost(text, 'the "[" has no closing "]"');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (host === '') throw badHost(text, 'the host inside "[]" is empty');
    if (host.includes(':') && !isIPv6(host)) throw badHost(text, `"${host}" is not a valid IPv6 address`);
    if (after !== '') {
      if (!after.startsWith(':')) throw badHost(text, `unexpected "${after}" after "]"`);
      port = parsePort(text, after.slice(1));
    }
  } else {
    const colons = rest.split(':').length - 1;
    if (colons >= 2) {
      if (!isIPv6(rest)) throw badHost(text, `"${rest}" is not a valid IPv6 address (write [addr]:port to give a port)`);
      host = rest;
    } else if (colons === 1) {
      const colon = rest.indexOf(':');
      host = rest.slice(0, colon);
      if (host === '') throw badHost(text, 'the host is empty');
      port = parsePort(text, rest.slice(colon + 1));
    } else {
      host = rest;
    }
  }
  if (host === '') throw badHost(text, 'the host is empty');

  const spec: HostSpec = { host, text };
  if (user !== undefined) spec.user = user;
  if (port !== undefined) spec.port = port;
  return spec;
}

/** The canonical `user@host:port` form, omitting what is not set; a v6 address gets brackets when a port follows. */
export function formatHostString(spec: Pick<HostSpec, 'user' | 'host' | 'port'>): string {
  const user = spec.user === undefined ? '' : `${spec.user}@`;
  if (spec.port === undefined) return `${user}${spec.host}`;
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  return `${user}${host}:${spec.port}`;
}

/**
 * Splits a `-H a,b , c` list: trims, drops empty items, keeps `[v6]` items whole, removes repeats keeping the first.
 * The items are not validated; pass each to parseHostString.
 */
export function splitHostList(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let inBrackets = false;
  for (const char of text) {
    if (char === '[') inBrackets = true;
    else if (char === ']') inBrackets = false;
    if (char === ',' && !inBrackets) {
      items.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  items.push(current);
  const seen = new Set<string>();
  const hosts: string[] = [];
  for (const item of items) {
    const host = item.trim();
    if (host === '' || seen.has(host)) continue;
    seen.add(host);
    hosts.push(host);
  }
  return hosts;
}
