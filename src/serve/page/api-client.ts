// The page's routes read and change runs through the server's own API, in process (fastify's inject), carrying the
// browser's cookie, Host and Origin: the API's auth, Host and Origin checks stay the one place that decides, and the
// page needs nothing the API does not offer.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CSRF_HEADER, type Session } from '../session.ts';

export interface ApiAnswer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

export async function callApi(
  app: FastifyInstance,
  request: FastifyRequest,
  session: Session | undefined,
  method: 'GET' | 'POST',
  url: string,
  options: { json?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  for (const name of ['cookie', 'host', 'origin', 'user-agent'] as const) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  if (session && method !== 'GET') headers[CSRF_HEADER] = session.csrf;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await app.inject({
    method,
    url,
    headers,
    remoteAddress: request.ip,
    ...(options.json !== undefined ? { payload: JSON.stringify(options.json) } : {}),
  });
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

/** The one line an API error carries (RFC 9457 detail or title), for showing on a page. */
export function problemLine(answer: ApiAnswer): string {
  try {
    const problem = JSON.parse(answer.body) as { detail?: unknown; title?: unknown };
    const line = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : '';
    if (line) return line;
  } catch {
    // not JSON: fall through to the status
  }
  return `the server answered ${answer.status}`;
}

export function parseJson<T>(answer: ApiAnswer): T {
  return JSON.parse(answer.body) as T;
}
