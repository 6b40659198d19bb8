// What every page handler gets from the page plugin (plugin.ts), apart from it so that the handlers' modules
// (actions.ts, pages.ts) and the plugin that registers them do not import each other.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role, Session, SessionStore } from '../session.ts';

export type Form = Record<string, string[]>;

/** Page routes do their own session check (a 303 to the login page, not a 401) and answer HTML, not JSON. */
export const PAGE_ROUTE = { config: { need: 'public' as const, produces: 'any' as const } };

export interface PageKit {
  sessions: SessionStore;
  /** The server speaks TLS: the cookie is Secure, origins are https. */
  secure: boolean;
  /** The caller a login token names, or undefined (counted towards the server's lockout of guessing addresses). */
  authenticate(request: FastifyRequest, token: string): { name: string; role: Role } | undefined;
  /** The request's session; on a server without tokens one is made (and its cookie set) on the way. */
  session(request: FastifyRequest, reply: FastifyReply): Session | undefined;
  send(reply: FastifyReply, status: number, html: string): FastifyReply;
  /** 303 to the login page, coming back here afterwards. */
  toLogin(request: FastifyRequest, reply: FastifyReply): FastifyReply;
  ownOrigins(request: FastifyRequest): string[];
}
