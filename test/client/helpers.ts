// Test helpers for herald/client: a scripted event-stream server that misbehaves on purpose, a
// recorder of everything an EventSource dispatches, and timers that record the delays asked for.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  /** 0 for the first request this server saw, then 1, 2, ... */
  index: number;
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Responder = (res: ServerResponse, req: RecordedRequest) => void;

export interface ScriptedServer {
  origin: string;
  url(path?: string): string;
  requests: RecordedRequest[];
  /** Resolves once `count` requests have arrived. */
  requestCount(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a node:http server on loopback and an ephemeral port. `respond` answers each request; the
 * request body is read completely before it is called.
 */
export async function startServer(respond: Responder): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        index: requests.length,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      for (const waiter of waiters.splice(0)) {
        if (requests.length >= waiter.count) waiter.resolve();
        else waiters.push(waiter);
      }
      respond(res, recorded);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path = '/events') => `${origin}${path}`,
    requests,
    requestCount(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers with an event stream: writes `text`, then ends cleanly, drops the socket, or stays open. */
export function stream(
  res: ServerResponse,
  text: string,
  then: 'end' | 'drop' | 'open' = 'end',
  contentType = 'text/event-stream',
): void {
  res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  if (text !== '') res.write(text);
  if (then === 'end') res.end();
  // A broken stream: the connection closes with the response unfinished. A FIN, not a destroy: a
  // reset can make the client's kernel discard bytes it has received but not yet read (seen as a flake).
  else if (then === 'drop') setTimeout(() => res.socket?.end(), 20);
}

/** Answers with a status and no event stream. */
export function status(res: ServerResponse, code: number, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': 'text/plain', ...headers });
  res.end(code === 204 || code === 304 ? undefined : `status ${code}`);
}

/** Runs responders in order, one per request; once they are used up, answers 204 (the client stops). */
export function sequence(...steps: Responder[]): Responder {
  return (res, req) => {
    const step = steps[req.index];
    if (step === undefined) status(res, 204);
    else step(res, req);
  };
}

export interface Entry {
  kind: 'open' | 'error' | 'event';
  type: string;
  data?: string;
  lastEventId?: string;
  origin?: string;
  readyState: number;
}

/** The part of EventSource a recorder needs: native, Herald's and the npm package's all fit. */
export interface Listenable {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: Event) => void): void;
}

/** Records open, error and the given event types as plain objects, with the readyState at dispatch. */
export function record(
  source: Listenable,
  types: string[] = ['message'],
): {
  entries: Entry[];
  until(predicate: (entries: Entry[]) => boolean, what: string, ms?: number): Promise<void>;
} {
  const entries: Entry[] = [];
  const waiters = new Set<() => void>();
  const push = (entry: Entry) => {
    entries.push(entry);
    for (const check of waiters) check();
  };
  source.addEventListener('open', () => push({ kind: 'open', type: 'open', readyState: source.readyState }));
  source.addEventListener('error', () =>
    push({ kind: 'error', type: 'error', readyState: source.readyState }),
  );
  for (const type of types) {
    source.addEventListener(type, (event) => {
      const message = event as MessageEvent<string>;
      push({
        kind: 'event',
        type: message.type,
        data: message.data,
        lastEventId: message.lastEventId,
        origin: message.origin,
        readyState: source.readyState,
      });
    });
  }
  return {
    entries,
    until(predicate, what, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(entries)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(entries)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

/** A predicate: the last entry is an error with the source CLOSED. */
export const closedByError = (entries: Entry[]): boolean => {
  const last = entries[entries.length - 1];
  return last?.kind === 'error' && last.readyState === 2;
};

/** Timers that record each delay asked for and fire at once (on the next macrotask). */
export function instantTimers(): {
  delays: number[];
  live(): number;
  setTimeout: (callback: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
} {
  const delays: number[] = [];
  const pending = new Set<ReturnType<typeof setTimeout>>();
  return {
    delays,
    live: () => pending.size,
    setTimeout(callback, ms) {
      delays.push(ms);
      const handle = setTimeout(() => {
        pending.delete(handle);
        callback();
      }, 0);
      pending.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      const timer = handle as ReturnType<typeof setTimeout>;
      pending.delete(timer);
      clearTimeout(timer);
    },
  };
}

/** Waits for `ms` (only ever to let the event loop settle, never as an upper bound on behaviour). */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
