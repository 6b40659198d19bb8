// The web page's login: a token typed once becomes a session, held in an HttpOnly, SameSite=Strict cookie (no script
// can read it, no other site's request carries it). Every state-changing request made with that cookie must also carry
// the session's CSRF token and come from the server's own Origin. Sessions live in memory: a restarted server asks
// again, which is the safe side. Kept apart from the HTTP framework so its rules are tested directly.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type Role = 'read' | 'run';

export interface Session {
  id: string;
  /** Who logged in: the token's name from the token file (`local` on a server without tokens). */
  name: string;
  role: Role;
  csrf: string;
  expires: number;
}

export const SESSION_COOKIE = 'fab_session';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Headers = Record<string, string | string[] | undefined>;
const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function parseCookies(cookieHeader: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/** Equal strings, compared in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly ttlMs = 12 * 3600_000,
    /** Bounded: a client logging in in a loop evicts the oldest sessions, it does not grow the server. */
    private readonly max = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  create(caller: { name: string; role: Role }): Session {
    const session = { id: randomBytes(32).toString('base64url'), name: caller.name, role: caller.role, csrf: randomBytes(32).toString('base64url'), expires: this.now() + this.ttlMs };
    this.sessions.set(session.id, session);
    while (this.sessions.size > this.max) this.sessions.delete(this.sessions.keys().next().value!);
    return session;
  }

  /** The session a request's cookie names, if it is one of ours and still valid. */
  lookup(headers: Headers): Session | undefined {
    const id = parseCookies(header(headers, 'cookie')).get(SESSION_COOKIE);
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expires <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }
}

/** The Set-Cookie value for a session (`Secure` when the server speaks TLS), or one that clears it. */
export function sessionCookie(session: Session | undefined, secure: boolean): string {
  const attributes = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  return session ? `${SESSION_COOKIE}=${session.id}; ${attributes}; Max-Age=${12 * 3600}` : `${SESSION_COOKIE}=; ${attributes}; Max-Age=0`;
}

export interface StateChange {
  method: string;
  headers: Headers;
  session: Session | undefined;
  /** The CSRF token from a form body, when the request is a form. */
  formToken?: string | undefined;
  /** Origins the server answers as, e.g. `http://127.0.0.1:8181`. */
  ownOrigins: readonly string[];
}

/**
 * Why a cookie-authenticated request must be refused (403), or undefined when it may go on. Requests that are not
 * state-changing, or that carry no session cookie (a bearer-token client: no browser sends those by itself), are not
 * this check's business.
 */
export function refuseStateChange(request: StateChange): string | undefined {
  if (!STATE_CHANGING.has(request.method.toUpperCase()) || !request.session) return undefined;
  const origin = header(request.headers, 'origin');
  if (!origin || !request.ownOrigins.includes(origin)) return `a ${request.method} from ${origin ? `origin ${origin}` : 'no Origin'} is refused: only this server's own pages may change state`;
  const token = header(request.headers, CSRF_HEADER) ?? request.formToken;
  if (!token || !sameSecret(token, request.session.csrf)) return 'the CSRF token is missing or wrong: reload the page and try again';
  return undefined;
}

/** A place to go after logging in: a path on this server only (never `//elsewhere` or `https://...`). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}
