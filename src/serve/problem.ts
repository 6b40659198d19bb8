import type { FastifyReply } from 'fastify';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An error a route or hook answers with: an HTTP status, one line a person can act on, and headers it needs. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { headers?: Record<string, string>; code?: string; holder?: number } = {},
  ) {
    super(message);
  }
}

/** The RFC 9457 body: no stack, no internals; `detail` is the one line. */
export function problemBody(status: number, detail: string, extra: { code?: string; holder?: number } = {}) {
  return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...extra };
}

export function sendProblem(reply: FastifyReply, error: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(error.extra.headers ?? {})) reply.header(name, value);
  const { code, holder } = error.extra;
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send(problemBody(error.status, error.message, { ...(code ? { code } : {}), ...(holder ? { holder } : {}) }));
}
