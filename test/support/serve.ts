import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { FAB_BIN } from './fab.ts';

/** A `fab serve` process of the built fab, listening on a free port. */
export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  port: number;
  /** Everything it wrote to stderr so far. */
  log(): string;
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** Starts `fab [args] serve --listen 127.0.0.1:0 [serveArgs]` in cwd and waits for its address. */
export async function startServe(cwd: string, args: string[], serveArgs: string[] = [], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [FAB_BIN, ...args, 'serve', '--listen', '127.0.0.1:0', ...serveArgs], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, LANG: 'C.UTF-8', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout.resume();
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const killer = setTimeout(() => child.kill('SIGKILL'), 280_000);
  void closed.then(() => clearTimeout(killer));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      const match = / on (https?:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    void closed.then(({ code }) => reject(new Error(`fab serve exited (${code}) before listening: ${stderr}`)));
  });
  return {
    child,
    url,
    port: Number(new URL(url).port),
    log: () => stderr,
    closed,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
    },
  };
}

/** One parsed SSE message. */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Follows an SSE URL with fetch until `until` says stop (or the stream ends); returns the messages and the response.
 * `onMessage` sees each as it comes.
 */
export async function followSse(url: string, init: RequestInit = {}, onMessage: (message: SseMessage) => boolean | void = () => {}): Promise<{ status: number; headers: Headers; messages: SseMessage[] }> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, headers: { accept: 'text/event-stream', ...(init.headers as Record<string, string>) }, signal: controller.signal });
  const messages: SseMessage[] = [];
  if (!response.body || response.status !== 200) return { status: response.status, headers: response.headers, messages };
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: SseMessage = { data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) message.id = line.slice(4);
          else if (line.startsWith('event: ')) message.event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length === 0) continue;
        message.data = data.join('\n');
        messages.push(message);
        if (onMessage(message) === true) {
          controller.abort();
          return { status: response.status, headers: response.headers, messages };
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return { status: response.status, headers: response.headers, messages };
}

/** JSON POST with fetch. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
