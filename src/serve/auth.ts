import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import { UsageError } from '../errors.ts';
import { ApiError } from './problem.ts';
import type { Caller } from './store.ts';

interface Token {
  name: string;
  role: Caller['role'];
  /** sha256 of the token: equal-length digests compared in constant time, whatever length a guess has. */
  digest: Buffer;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The token file: one `role name token` a line (`run ci-bot 6f2c...`, `read grafana 91ab...`), `#` comments.
 * Missing, it is created 0600 with one token of each role, and the caller gets them to show once.
 */
export function loadTokens(file: string): { tokens: Token[]; created?: string } {
  let created: string | undefined;
  if (!existsSync(file)) {
    created = `# fab serve tokens: role name token\nrun admin ${randomBytes(24).toString('base64url')}\nread viewer ${randomBytes(24).toString('base64url')}\n`;
    const fd = openSync(file, 'wx', 0o600);
    writeSync(fd, created);
    closeSync(fd);
  }
  const fd = openSync(file, 'r');
  try {
    if ((fstatSync(fd).mode & 0o077) !== 0) throw new UsageError(`token file ${file} is readable by others; chmod 600 ${file}`);
  } finally {
    closeSync(fd);
  }
  const tokens: Token[] = [];
  for (const [index, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [role, name, token, ...rest] = line.split(/\s+/);
    if ((role !== 'read' && role !== 'run') || !name || !token || token.length < 16 || rest.length) {
      throw new UsageError(`token file ${file}, line ${index + 1}: write "read|run NAME TOKEN" with a token of at least 16 characters`);
    }
    tokens.push({ name, role, digest: digest(token) });
  }
  if (tokens.length === 0) throw new UsageError(`token file ${file} holds no token; add a line "run NAME TOKEN"`);
  return { tokens, ...(created ? { created } : {}) };
}

/** Resolves a caller from something other than a bearer token (the page's session cookie). */
export type CredentialResolver = (request: FastifyRequest) => Caller | undefined;

const FAILURE_WINDOW_MS = 60_000;
const MAX_FAILURES = 10;
const MAX_TRACKED = 10_000;

/**
 * Who is calling: a bearer token from the token file (constant-time comparison), else a resolver a plugin added
 * (the page's cookie session), else, on a server with no token file (loopback only), the local user with the run
 * role. Ten wrong tokens from one address within a minute earn 429 until the minute is over.
 */
export class Auth {
  readonly resolvers: CredentialResolver[] = [];
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly tokens: Token[] | undefined) {}

  get required(): boolean {
    return this.tokens !== undefined;
  }

  /** Throws 429 while an address is locked out. */
  checkLockout(address: string, now = Date.now()): void {
    const entry = this.failures.get(address);
    if (!entry) return;
    if (now - entry.since > FAILURE_WINDOW_MS) {
      this.failures.delete(address);
      return;
    }
    if (entry.count >= MAX_FAILURES) {
      const retry = Math.ceil((entry.since + FAILURE_WINDOW_MS - now) / 1000);
      throw new ApiError(429, `too many failed authentications from ${address}; wait ${retry} s`, { headers: { 'retry-after': String(retry) } });
    }
  }

  private fail(address: string, now = Date.now()): void {
    const entry = this.failures.get(address);
    if (entry && now - entry.since <= FAILURE_WINDOW_MS) entry.count += 1;
    else {
      // Bounded memory: a flood from many addresses forgets the oldest first.
      if (this.failures.size >= MAX_TRACKED) this.failures.delete(this.failures.keys().next().value!);
      this.failures.set(address, { count: 1, since: now });
    }
  }

  /** The caller, or throws 401 (with WWW-Authenticate) when credentials are missing or wrong. */
  resolve(request: FastifyRequest): Caller {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const token = /^Bearer ([\x21-\x7e]+)$/i.exec(header)?.[1];
      const found = token === undefined || !this.tokens ? undefined : this.match(token);
      if (found) return found;
      this.fail(request.ip);
      throw unauthorized(token === undefined ? 'the Authorization header must be "Bearer TOKEN"' : 'that token is not in the token file');
    }
    for (const resolver of this.resolvers) {
      const caller = resolver(request);
      if (caller) return caller;
    }
    if (!this.tokens) return { name: 'local', role: 'run' };
    throw unauthorized('this server needs a token: send "Authorization: Bearer TOKEN" (from the token file)');
  }

  private match(token: string): Caller | undefined {
    const given = digest(token);
    let found: Token | undefined;
    // Every token is compared, so the time taken does not tell which one nearly matched.
    for (const candidate of this.tokens ?? []) if (timingSafeEqual(candidate.digest, given)) found = candidate;
    return found ? { name: found.name, role: found.role } : undefined;
  }
}

function unauthorized(message: string): ApiError {
  return new ApiError(401, message, { headers: { 'www-authenticate': 'Bearer realm="fab serve"' } });
}

/** What a route needs: `public` (health), `read` (history, events, logs), `run` (create and cancel). */
export type Need = 'public' | 'read' | 'run';

export function allows(caller: Caller, need: Need): boolean {
  return need !== 'run' || caller.role === 'run';
}
