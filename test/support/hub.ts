import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { keyBytes, mintToken } from '../../src/auth/jwt.js';
import { createHub, type HeraldHub, type HubOptions } from '../../src/create-hub.js';
import { createParser, type ServerSentEvent } from '../../src/protocol/parse.js';

export const TEST_KEY = 'herald-test-key-0123456789abcdefghijklmnopqrstuvwxyz';

export interface TestHub {
  hub: HeraldHub;
  url: string;
  port: number;
  /** A token that may publish to every topic. */
  token: string;
  /** Publishes over HTTP with the test token; returns status and body. */
  post(body: Record<string, unknown> | string, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** Publishes over HTTP and returns the new id (throws unless 200). */
  publish(topic: string | string[], data: string, extra?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function token(claims: {
  publish?: string[];
  subscribe?: string[];
  ttlSeconds?: number;
  subject?: string;
  tokenId?: string;
}): Promise<string> {
  return mintToken(keyBytes(TEST_KEY), claims);
}

export async function startHub(options: HubOptions = {}, port = 0): Promise<TestHub> {
  const hub = createHub({ jwtKey: TEST_KEY, ...options });
  const server = await hub.listen(port);
  const bound = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${bound}`;
  const publisher = await token({ publish: ['**'] });
  const post: TestHub['post'] = (body, headers = {}) => {
    const isJson = typeof body !== 'string';
    return httpRequest(`${url}/publish`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${publisher}`,
        'content-type': isJson ? 'application/json' : 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: isJson ? JSON.stringify(body) : body,
    });
  };
  return {
    hub,
    url,
    port: bound,
    token: publisher,
    post,
    async publish(topic, data, extra = {}) {
      const answer = await post({ topic, data, ...extra });
      if (answer.status !== 200) throw new Error(`publish failed: ${answer.status} ${answer.body}`);
      assert.ok(answer.body.endsWith('\n'), 'the id ends with a newline');
      return answer.body.slice(0, -1);
    },
    close: () => hub.close(),
  };
}

/** One plain HTTP exchange over a fresh connection. */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A raw event-stream subscriber: what the hub sent, parsed as a browser would. */
export class StreamReader {
  /** The events an application sees: everything but the hub's `herald-resume` bookkeeping. */
  readonly events: ServerSentEvent[] = [];
  /** `herald-resume` events: resume points set without an application event. */
  readonly resumes: ServerSentEvent[] = [];
  readonly retries: number[] = [];
  readonly comments: string[] = [];
  raw = '';
  status = 0;
  headers: IncomingHttpHeaders = {};
  /** Resolves when the response ends or the connection closes. */
  readonly ended: Promise<void>;
  #parser = createParser({
    onEvent: (e) => (e.type === 'herald-resume' ? this.resumes : this.events).push(e),
    onRetry: (ms) => this.retries.push(ms),
    onComment: (c) => this.comments.push(c),
  });
  #destroy: () => void = () => {};
  #resume: () => void = () => {};
  #onEnd!: () => void;
  #waiters: Array<() => void> = [];

  private constructor() {
    this.ended = new Promise((resolve) => {
      this.#onEnd = resolve;
    });
  }

  get lastEventId(): string {
    return this.#parser.lastEventId;
  }

  /** Opens `GET url` and resolves once the status and headers have arrived. */
  static open(url: string, headers: Record<string, string> = {}, pause = false): Promise<StreamReader> {
    const reader = new StreamReader();
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { headers: { accept: 'text/event-stream', ...headers }, agent: false },
        (res) => {
          reader.status = res.statusCode ?? 0;
          reader.headers = res.headers;
          if (pause) res.pause();
          reader.#resume = () => res.resume();
          res.on('data', (chunk: Buffer) => {
            reader.raw += chunk.toString('utf8');
            reader.#parser.feed(chunk);
            reader.#notify();
          });
          resolve(reader);
        },
      );
      reader.#destroy = () => req.destroy();
      // The socket's close fires when the connection ends, even while a paused response holds data.
      req.on('socket', (socket) =>
        socket.on('close', () => {
          reader.#onEnd();
          reader.#notify();
        }),
      );
      req.on('error', (error) => {
        reader.#onEnd();
        reject(error);
      });
      req.end();
    });
  }

  #notify(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** Waits until `predicate` holds, failing after `timeoutMs`. */
  async until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received so far:\n${this.raw}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for at least `n` events and returns the first `n`. */
  async take(n: number, timeoutMs = 5000): Promise<ServerSentEvent[]> {
    await this.until(() => this.events.length >= n, `${n} events`, timeoutMs);
    return this.events.slice(0, n);
  }

  /** Waits for the hub's first bytes (retry and, for a fresh subscriber, its herald-resume event). */
  ready(timeoutMs = 5000): Promise<void> {
    return this.until(() => this.retries.length > 0, 'the first retry: line', timeoutMs);
  }

  /** Starts reading a stream opened paused (a stalled client that wakes up). */
  resume(): void {
    this.#resume();
  }

  close(): void {
    this.#destroy();
  }
}

export function eventsUrl(hub: TestHub, topics: string[], query: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const t of topics) params.append('topic', t);
  for (const [k, v] of Object.entries(query)) params.append(k, v);
  return `${hub.url}/events?${params}`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a raw HTTP/1.1 client connection has received, and when it ended. */
export interface RawConnection {
  readonly socket: Socket;
  /** Resolves once the connection has closed. */
  readonly ended: Promise<void>;
  /** Everything received so far, as latin1 text. */
  text(): string;
  /** Resolves once n answer heads have arrived; rejects if the connection ends before. */
  answers(n: number): Promise<void>;
}

/** Watches a connected socket (plain or TLS) that a test writes HTTP/1.1 requests on by hand. */
export function rawConnection(socket: Socket): RawConnection {
  let raw = '';
  let closed = false;
  const waiting: Array<() => void> = [];
  const wakeAll = (): void => {
    for (const wake of waiting.splice(0)) wake();
  };
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    raw += chunk;
    wakeAll();
  });
  socket.on('error', () => {});
  const ended = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      wakeAll();
      resolve();
    }),
  );
  const count = (): number => raw.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0;
  return {
    socket,
    ended,
    text: () => raw,
    async answers(n) {
      while (count() < n) {
        if (closed) throw new Error(`the connection ended after ${count()} of ${n} answers:\n${raw}`);
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    },
  };
}
