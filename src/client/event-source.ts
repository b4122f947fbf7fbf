/**
 * A WHATWG-compatible `EventSource` for Node.js and browsers, built on `fetch`, that can also send
 * headers (auth), use other methods and bodies, back off on repeated failures, and resume from a
 * given last event ID.
 *
 * Platform-neutral: it imports nothing but the shared event-stream parser, so the same source is
 * bundled for browsers (`/herald-client.js`) and runs on Node.js 20 (global fetch, EventTarget,
 * Event, MessageEvent, DOMException).
 *
 * The connection rules follow the HTML standard's "Server-sent events" processing model; where this
 * client chooses differently, the option that controls it says so (see README, "Client").
 */
import { createParser, ParseError, type Parser } from '../protocol/parse.js';

/** The `fetch` this client calls: the global one, or any function with its signature. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Passed to the `headers` and `body` functions before each connection attempt. */
export interface ConnectInfo {
  /** The last event ID the request will carry (`''`: none). */
  lastEventId: string;
  /** 1 for the first connection, then counting every attempt (successful or not). */
  attempt: number;
}

/** A request body that can be sent again on every reconnect (streams cannot). */
export type ReusableBody = Exclude<BodyInit, ReadableStream>;

export interface EventSourceOptions {
  /** Send cookies and HTTP auth cross-origin (`credentials: 'include'`); else `'same-origin'`. Default `false`. */
  withCredentials?: boolean;
  /**
   * Extra request headers, or a function returning them (or a Promise of them), called before every
   * connection attempt, so a fresh token can be fetched for each reconnect. Default none.
   */
  headers?: HeadersInit | ((info: ConnectInfo) => HeadersInit | Promise<HeadersInit>);
  /** HTTP method. Default `'GET'`. */
  method?: string;
  /** Request body (not with GET or HEAD), or a function returning one, called before every attempt. */
  body?: ReusableBody | null | ((info: ConnectInfo) => ReusableBody | null | Promise<ReusableBody | null>);
  /** The fetch implementation. Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Resume from this event ID: sent as `Last-Event-ID` on the first request. Default `''` (none). */
  lastEventId?: string;
  /** Reconnection time in ms until the server sends `retry:`. Default `3000` (as Chromium). */
  reconnectDelay?: number;
  /**
   * Ceiling in ms for the exponential backoff applied to consecutive failed attempts (attempts that
   * never reached an open stream). Default `30000`. The server's `retry:` is never cut below.
   */
  maxReconnectDelay?: number;
  /** Fraction (0 to 1) of each backoff delay that is randomized away, to spread reconnects. Default `0.5`. */
  jitter?: number;
  /**
   * Reconnect (with backoff, honouring `Retry-After`) after a 5xx answer instead of failing the
   * connection as browsers do. Default `true`.
   */
  reconnectOnServerError?: boolean;
  /** Largest event buffered, in UTF-16 code units; a larger one fails the connection. Default: no limit. */
  maxEventSize?: number;
  /** Timer functions (for tests). Default: the global `setTimeout` and `clearTimeout`. */
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  /** Random source in [0, 1) for the jitter (for tests). Default `Math.random`. */
  random?: () => number;
}

/** The `error` event: a plain `Event` named `error`, with details a native EventSource does not give. */
export class EventSourceErrorEvent extends Event {
  /** Why the connection failed or dropped, in words (`HTTP 401: <the server's reason>`). */
  readonly message: string;
  /** The HTTP status of the answer, when there was one. */
  readonly status: number | undefined;
  /**
   * The server's one-line reason for a non-200 answer: the first line of a `text/plain` body (read
   * up to 1 KiB, for at most a second), as Herald's refusals carry it. Undefined when there is none.
   */
  readonly reason: string | undefined;
  /** The underlying error (network failure, a throwing `headers` function), when there was one. */
  readonly error: unknown;
  /** Milliseconds until the next attempt, or `undefined` when the source is now CLOSED. */
  readonly reconnectDelay: number | undefined;
  constructor(init: {
    message: string;
    status?: number;
    reason?: string;
    error?: unknown;
    reconnectDelay?: number;
  }) {
    super('error');
    this.message = init.message;
    this.status = init.status;
    this.reason = init.reason;
    this.error = init.error;
    this.reconnectDelay = init.reconnectDelay;
  }
}

/** The events an EventSource dispatches by name; any other `event:` type arrives as a MessageEvent too. */
export interface EventSourceEventMap {
  open: Event;
  message: MessageEvent<string>;
  error: EventSourceErrorEvent;
}

type Handler<E> = ((this: EventSource, event: E) => unknown) | null;

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
const HANDLED = ['open', 'message', 'error'] as const;
type HandledType = (typeof HANDLED)[number];

/** Numbers in `options` must be finite and non-negative. */
function checkDelay(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

/** The MIME type essence of a Content-Type header (`text/event-stream; charset=utf-8` -> `text/event-stream`). */
function essence(contentType: string | null): string {
  if (contentType === null) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * The spec sends the last event ID UTF-8 encoded. Header values are byte strings, so each UTF-8
 * byte becomes one character: the wire bytes then equal a browser's for any ID.
 */
function headerValue(id: string): string {
  let ascii = true;
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) > 0x7f) ascii = false;
  if (ascii) return id;
  let out = '';
  for (const byte of new TextEncoder().encode(id)) out += String.fromCharCode(byte);
  return out;
}

/** `Retry-After` in ms (delta-seconds or an HTTP date), or 0 when absent or unreadable. */
function retryAfter(value: string | null, now: number): number {
  if (value === null) return 0;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}

/** The document's URL in a browser (relative URLs resolve against it); undefined in Node.js. */
function baseUrl(): string | undefined {
  const location = (globalThis as { location?: { href?: unknown } }).location;
  return typeof location?.href === 'string' ? location.href : undefined;
}

export class EventSource extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSED = CLOSED;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSED: 2;

  readonly #url: string;
  readonly #withCredentials: boolean;
  readonly #options: EventSourceOptions;
  readonly #fetch: FetchLike;
  readonly #setTimeout: (callback: () => void, ms: number) => unknown;
  readonly #clearTimeout: (handle: unknown) => void;
  readonly #random: () => number;
  readonly #maxDelay: number;
  readonly #jitter: number;
  readonly #parser: Parser;
  readonly #handlers = new Map<HandledType, { handler: Handler<Event>; listener: (event: Event) => void }>();

  #readyState: 0 | 1 | 2 = CONNECTING;
  /** The reconnection time: `reconnectDelay`, then whatever `retry:` says. */
  #reconnectionTime: number;
  /** Attempts since the last successful open (drives the backoff). */
  #failures = 0;
  #attempts = 0;
  #origin = '';
  #controller: AbortController | undefined;
  #timer: unknown;
  #timerSet = false;

  constructor(url: string | URL, options: EventSourceOptions = {}) {
    super();
    try {
      this.#url = new URL(String(url), baseUrl()).href;
    } catch {
      throw new DOMException(`Cannot open an EventSource to '${String(url)}': invalid URL`, 'SyntaxError');
    }
    this.#options = options;
    this.#withCredentials = options.withCredentials === true;
    const method = (options.method ?? 'GET').toUpperCase();
    if ((method === 'GET' || method === 'HEAD') && options.body !== undefined && options.body !== null) {
      throw new TypeError(`EventSource: a ${method} request cannot have a body`);
    }
    // Static headers are checked now, so a typo throws here rather than failing every reconnect.
    if (options.headers !== undefined && typeof options.headers !== 'function') new Headers(options.headers);
    const fetchImpl = options.fetch;
    this.#fetch = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
    const setTimer = options.setTimeout;
    const clearTimer = options.clearTimeout;
    this.#setTimeout = setTimer ?? ((callback, ms) => globalThis.setTimeout(callback, ms));
    this.#clearTimeout =
      clearTimer ?? ((handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>));
    this.#random = options.random ?? Math.random;
    this.#reconnectionTime = checkDelay('reconnectDelay', options.reconnectDelay ?? 3000);
    this.#maxDelay = checkDelay('maxReconnectDelay', options.maxReconnectDelay ?? 30_000);
    this.#jitter = checkDelay('jitter', options.jitter ?? 0.5);
    if (this.#jitter > 1) throw new RangeError('jitter must be between 0 and 1');
    this.#parser = createParser({
      onEvent: (event) => this.#dispatchMessage(event.type, event.data, event.lastEventId),
      onRetry: (ms) => {
        this.#reconnectionTime = ms;
      },
      lastEventId: options.lastEventId ?? '',
      ...(options.maxEventSize === undefined ? {} : { maxEventSize: options.maxEventSize }),
    });
    this.#connect();
  }

  /** The absolute URL of the event stream (the one given, before any redirect). */
  get url(): string {
    return this.#url;
  }

  get withCredentials(): boolean {
    return this.#withCredentials;
  }

  get readyState(): 0 | 1 | 2 {
    return this.#readyState;
  }

  /** Herald extension: the last event ID string, sent as `Last-Event-ID` on the next connection. */
  get lastEventId(): string {
    return this.#parser.lastEventId;
  }

  get onopen(): Handler<Event> {
    return this.#getHandler('open');
  }
  set onopen(handler: Handler<Event>) {
    this.#setHandler('open', handler);
  }
  get onmessage(): Handler<MessageEvent<string>> {
    return this.#getHandler('message') as Handler<MessageEvent<string>>;
  }
  set onmessage(handler: Handler<MessageEvent<string>>) {
    this.#setHandler('message', handler as Handler<Event>);
  }
  get onerror(): Handler<EventSourceErrorEvent> {
    return this.#getHandler('error') as Handler<EventSourceErrorEvent>;
  }
  set onerror(handler: Handler<EventSourceErrorEvent>) {
    this.#setHandler('error', handler as Handler<Event>);
  }

  override addEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: EventSource, event: EventSourceEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: (this: EventSource, event: MessageEvent<string>) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null | ((event: never) => unknown),
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  override removeEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: (this: EventSource, event: EventSourceEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: (this: EventSource, event: MessageEvent<string>) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null | ((event: never) => unknown),
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  /** Aborts the request or the pending reconnect and stops for good. Dispatches nothing. */
  close(): void {
    this.#readyState = CLOSED;
    this.#cancelTimer();
    const controller = this.#controller;
    this.#controller = undefined;
    controller?.abort();
  }

  // Event handler attributes: one listener per type, added when a handler is first set (so it runs
  // in registration order among the other listeners), removed when the handler is set to null.
  #getHandler(type: HandledType): Handler<Event> {
    return this.#handlers.get(type)?.handler ?? null;
  }

  #setHandler(type: HandledType, handler: Handler<Event>): void {
    const current = this.#handlers.get(type);
    if (typeof handler !== 'function') {
      if (current !== undefined) {
        super.removeEventListener(type, current.listener);
        this.#handlers.delete(type);
      }
      return;
    }
    if (current !== undefined) {
      current.handler = handler;
      return;
    }
    const entry = {
      handler,
      listener: (event: Event) => {
        entry.handler?.call(this, event);
      },
    };
    this.#handlers.set(type, entry);
    super.addEventListener(type, entry.listener);
  }

  #cancelTimer(): void {
    if (this.#timerSet) {
      this.#timerSet = false;
      this.#clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #connect(): void {
    const controller = new AbortController();
    this.#controller = controller;
    this.#attempts++;
    void this.#run(controller);
  }

  /** One connection attempt, from the request to the end of the stream. */
  async #run(controller: AbortController): Promise<void> {
    const { signal } = controller;
    const info: ConnectInfo = { lastEventId: this.#parser.lastEventId, attempt: this.#attempts };
    let response: Response;
    try {
      const headers = await this.#requestHeaders(info);
      const body =
        typeof this.#options.body === 'function' ? await this.#options.body(info) : this.#options.body;
      if (signal.aborted) return;
      const init: RequestInit = {
        method: this.#options.method ?? 'GET',
        headers,
        credentials: this.#withCredentials ? 'include' : 'same-origin',
        mode: 'cors',
        cache: 'no-store',
        redirect: 'follow',
        signal,
      };
      if (body !== undefined && body !== null) init.body = body;
      response = await this.#fetch(this.#url, init);
    } catch (error) {
      if (!signal.aborted) this.#reestablish({ message: `request failed: ${describe(error)}`, error });
      return;
    }
    if (signal.aborted) {
      void response.body?.cancel().catch(() => {});
      return;
    }

    const { status } = response;
    if (status !== 200) {
      const reason = status === 204 ? undefined : await readReason(response);
      if (signal.aborted) return;
      const detail = {
        message: `HTTP ${status}${reason === undefined ? '' : `: ${reason}`}`,
        status,
        reason,
      };
      if (status >= 500 && status <= 599 && this.#options.reconnectOnServerError !== false) {
        this.#reestablish(detail, retryAfter(response.headers.get('retry-after'), Date.now()));
      } else if (status === 204) {
        void response.body?.cancel().catch(() => {});
        this.#fail({ message: 'HTTP 204: the server asked not to reconnect', status });
      } else {
        this.#fail(detail);
      }
      return;
    }
    const contentType = response.headers.get('content-type');
    if (essence(contentType) !== 'text/event-stream') {
      void response.body?.cancel().catch(() => {});
      this.#fail({ message: `expected text/event-stream, got ${contentType ?? 'no Content-Type'}`, status });
      return;
    }
    if (response.body === null) {
      this.#fail({ message: 'the response has no body', status });
      return;
    }

    // Announce the connection.
    this.#origin = originOf(response.url || this.#url);
    this.#parser.reset();
    this.#failures = 0;
    this.#readyState = OPEN;
    this.dispatchEvent(new Event('open'));

    const reader = response.body.getReader();
    try {
      for (;;) {
        if (signal.aborted) break;
        const { done, value } = await reader.read();
        if (signal.aborted || done) break;
        this.#parser.feed(value);
      }
    } catch (error) {
      if (signal.aborted) return;
      void reader.cancel().catch(() => {});
      if (error instanceof ParseError) this.#fail({ message: error.message, status, error });
      else this.#reestablish({ message: `the stream broke: ${describe(error)}`, error });
      return;
    }
    if (signal.aborted) {
      void reader.cancel().catch(() => {});
      return;
    }
    // A clean end of the stream: an unfinished event is dropped, then reconnect.
    this.#parser.end();
    this.#reestablish({ message: 'the server ended the stream' });
  }

  async #requestHeaders(info: ConnectInfo): Promise<Headers> {
    const source = this.#options.headers;
    const headers = new Headers(typeof source === 'function' ? await source(info) : source);
    if (!headers.has('accept')) headers.set('Accept', 'text/event-stream');
    if (info.lastEventId === '') headers.delete('last-event-id');
    else headers.set('Last-Event-ID', headerValue(info.lastEventId));
    return headers;
  }

  #dispatchMessage(type: string, data: string, lastEventId: string): void {
    if (this.#readyState !== OPEN) return; // closed by a listener while a chunk was being parsed
    this.dispatchEvent(new MessageEvent(type, { data, origin: this.#origin, lastEventId }));
  }

  /** The delay before the next attempt: the reconnection time, then exponential backoff with jitter. */
  #nextDelay(floor: number): number {
    this.#failures++;
    const base = this.#reconnectionTime;
    let delay = base;
    if (this.#failures > 1) {
      const ceiling = Math.max(this.#maxDelay, base);
      const grown = Math.min(ceiling, Math.max(base, 100) * 2 ** (this.#failures - 1));
      // Randomize only the part above the reconnection time: never sooner than the server asked.
      delay = grown - (grown - base) * this.#jitter * this.#random();
    }
    return Math.max(delay, floor);
  }

  /** Reestablish the connection: CONNECTING, an error event, then a new attempt after the delay. */
  #reestablish(
    detail: { message: string; status?: number; reason?: string; error?: unknown },
    floor = 0,
  ): void {
    if (this.#readyState === CLOSED) return;
    this.#controller = undefined;
    this.#readyState = CONNECTING;
    const delay = this.#nextDelay(floor);
    this.dispatchEvent(new EventSourceErrorEvent({ ...detail, reconnectDelay: delay }));
    if (this.#readyState !== CONNECTING || this.#timerSet || this.#controller !== undefined) return;
    this.#timerSet = true;
    this.#timer = this.#setTimeout(() => {
      this.#timerSet = false;
      this.#timer = undefined;
      if (this.#readyState === CONNECTING && this.#controller === undefined) this.#connect();
    }, delay);
  }

  /** Fail the connection: CLOSED, an error event, and no reconnect. */
  #fail(detail: { message: string; status?: number; reason?: string; error?: unknown }): void {
    if (this.#readyState === CLOSED) return;
    this.#controller = undefined;
    this.#readyState = CLOSED;
    this.dispatchEvent(new EventSourceErrorEvent(detail));
  }
}

const REASON_BYTES = 1024;
const REASON_CHARS = 400;
const REASON_MS = 1000;

/**
 * The first line of a refusal's `text/plain` body: at most 1 KiB read, for at most a second (a body
 * that never ends cannot hold the error back), then the body is cancelled. Other bodies (an HTML
 * error page) are not read.
 */
async function readReason(response: Response): Promise<string | undefined> {
  const body = response.body;
  if (body === null) return undefined;
  if (essence(response.headers.get('content-type')) !== 'text/plain') {
    void body.cancel().catch(() => {});
    return undefined;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof globalThis.setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = globalThis.setTimeout(() => resolve('timeout'), REASON_MS);
  });
  try {
    while (size < REASON_BYTES) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout' || next.done) break;
      chunks.push(next.value);
      size += next.value.byteLength;
    }
  } catch {
    // The body broke off: what arrived is the reason, if anything.
  } finally {
    globalThis.clearTimeout(timer);
    void reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, REASON_BYTES));
  let at = 0;
  for (const chunk of chunks) {
    if (at >= bytes.length) break;
    const part = chunk.subarray(0, bytes.length - at);
    bytes.set(part, at);
    at += part.length;
  }
  const line = (new TextDecoder().decode(bytes).split(/\r\n|\r|\n/)[0] ?? '').trim();
  if (line === '') return undefined;
  return line.length > REASON_CHARS ? `${line.slice(0, REASON_CHARS)}…` : line;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

// The constants live on the prototype too, as on the native interface.
Object.defineProperties(EventSource.prototype, {
  CONNECTING: { value: CONNECTING, enumerable: true },
  OPEN: { value: OPEN, enumerable: true },
  CLOSED: { value: CLOSED, enumerable: true },
});
