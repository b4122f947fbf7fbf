// The load generator's HTTP publisher: POST /publish over a few kept-alive connections on raw
// sockets, with requests pipelined on each (HTTP/1.1 answers in order), so that the number of
// requests in flight is bounded and known. Two ways to run: at a fixed rate, or as fast as the
// server acknowledges (saturation), within a bound on requests in flight and a bound on how far the
// publisher may run ahead of the slowest subscriber (`canSend`).
import { connect, type Socket } from 'node:net';
import { eventData } from './payload.js';

const HOST = '127.0.0.1';

const MEDIA_TYPES: Readonly<Record<PublishTarget['format'], string>> = {
  form: 'application/x-www-form-urlencoded',
  raw: 'text/plain',
  ndjson: 'application/x-ndjson',
};

/** How one server wants its events published. */
export interface PublishTarget {
  port: number;
  /** Request path and query, e.g. `/publish` or `/publish?topic=bench`. */
  path: string;
  /**
   * `form`: `topic=T&data=D` form-encoded (Herald, the node baselines); `raw`: the data as the body
   * (Nchan); `ndjson`: a batch of `batch` events, one JSON object a line (Herald).
   */
  format: 'form' | 'raw' | 'ndjson';
  /** Events per request (`ndjson` only; 1 otherwise). */
  batch?: number;
  topic: string;
  /** A bearer token to send (Herald). */
  token?: string;
  /** Length of each event's data. */
  size: number;
}

export interface PublisherStats {
  /** Events sent. */
  sent: number;
  /** Events acknowledged: those of requests answered with a 2xx status. */
  acked: number;
  /** Requests answered otherwise, or lost with their connection. */
  failed: number;
  /** The start of the first failed answer, to show what went wrong. */
  firstFailure: string | undefined;
  /** Why the first connection that went away did (its error, or a close by the server). */
  lost: string | undefined;
}

/** One kept-alive connection with its pipelined requests. */
class Connection {
  readonly socket: Socket;
  inFlight = 0;
  #text = '';

  #error: string | undefined;

  constructor(
    port: number,
    onAnswer: (status: number, text: string) => void,
    onLost: (n: number, why: string) => void,
  ) {
    this.socket = connect({ host: HOST, port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.#text += chunk.toString('latin1');
      for (;;) {
        const answer = this.#nextAnswer();
        if (answer === undefined) break;
        this.inFlight--;
        onAnswer(answer.status, answer.head);
      }
    });
    this.socket.on('error', (error: Error) => {
      this.#error = error.message;
    });
    this.socket.on('close', () => {
      onLost(this.inFlight, this.#error ?? 'closed by the server');
      this.inFlight = 0;
    });
  }

  /** Takes one complete answer off the front of the text read so far (Content-Length or chunked). */
  #nextAnswer(): { status: number; head: string } | undefined {
    const text = this.#text;
    const headEnd = text.indexOf('\r\n\r\n');
    if (headEnd === -1) return undefined;
    const head = text.slice(0, headEnd);
    const status = Number(head.slice(9, 12));
    let end: number;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length !== null) {
      end = headEnd + 4 + Number(length[1]);
      if (text.length < end) return undefined;
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      let at = headEnd + 4;
      for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        if (lineEnd === -1) return undefined;
        const size = Number.parseInt(text.slice(at, lineEnd), 16);
        // The last chunk (size 0) is followed by an empty trailer line.
        at = lineEnd + 2 + size + 2;
        if (text.length < at) return undefined;
        if (size === 0) break;
      }
      end = at;
    } else {
      end = headEnd + 4;
    }
    this.#text = text.slice(end);
    return { status, head: text.slice(0, Math.min(end, headEnd + 200)) };
  }
}

export class Publisher {
  readonly stats: PublisherStats = { sent: 0, acked: 0, failed: 0, firstFailure: undefined, lost: undefined };
  readonly #target: PublishTarget;
  readonly #connections: Connection[];
  readonly #maxInFlight: number;
  readonly #padding: string;
  readonly #prefix: string;
  /** Events in each request. */
  readonly #perRequest: number;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #canSend: () => boolean = () => true;
  /** Set once any connection is lost: the publisher stops sending. */
  #broken = false;
  #stopped = false;

  constructor(target: PublishTarget, connections: number, depth: number) {
    this.#target = target;
    this.#maxInFlight = connections * depth;
    this.#padding = 'x'.repeat(target.size);
    this.#perRequest = target.format === 'ndjson' ? (target.batch ?? 1) : 1;
    const type = MEDIA_TYPES[target.format];
    const auth = target.token === undefined ? '' : `Authorization: Bearer ${target.token}\r\n`;
    this.#prefix = `POST ${target.path} HTTP/1.1\r\nHost: ${HOST}:${target.port}\r\nContent-Type: ${type}\r\n${auth}`;
    const onAnswer = (status: number, head: string): void => {
      if (status >= 200 && status < 300) this.stats.acked += this.#perRequest;
      else {
        this.stats.failed++;
        this.stats.firstFailure ??= head;
      }
      if (this.#running) this.#pump();
    };
    const onLost = (n: number, why: string): void => {
      if (this.#stopped) return;
      this.stats.failed += n;
      this.stats.lost ??= why;
      this.#broken = true;
    };
    this.#connections = Array.from(
      { length: connections },
      () => new Connection(target.port, onAnswer, onLost),
    );
  }

  get inFlight(): number {
    let n = 0;
    for (const c of this.#connections) n += c.inFlight;
    return n;
  }

  /** Events sent so far (also the sequence number of the last one). */
  get sent(): number {
    return this.stats.sent;
  }

  /** Sends one publish on the connection with the fewest requests in flight. */
  #send(): void {
    let best = this.#connections[0]!;
    for (const c of this.#connections) if (c.inFlight < best.inFlight) best = c;
    const body = this.#body();
    best.inFlight++;
    this.stats.sent += this.#perRequest;
    best.socket.write(`${this.#prefix}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  /** The next request's body: one event, or a batch of them, each with the next sequence number. */
  #body(): string {
    const { format, topic, size } = this.#target;
    if (format === 'raw') return eventData(++this.#seq, size, this.#padding);
    if (format === 'form')
      return new URLSearchParams({ topic, data: eventData(++this.#seq, size, this.#padding) }).toString();
    let lines = '';
    for (let i = 0; i < this.#perRequest; i++)
      lines += `${JSON.stringify({ topic, data: eventData(++this.#seq, size, this.#padding) })}\n`;
    return lines;
  }

  /** Publishes `rate` events per second (pipelined if answers are slower than the rate). */
  startRate(rate: number): void {
    const periodNs = BigInt(Math.round(1e9 / rate));
    let next = process.hrtime.bigint() + periodNs;
    const tick = (): void => {
      const now = process.hrtime.bigint();
      while (now >= next) {
        if (!this.#broken) this.#send();
        next += periodNs;
      }
      this.#timer = setTimeout(tick, Math.max(0, Number(next - process.hrtime.bigint()) / 1e6));
    };
    this.#timer = setTimeout(tick, Number(periodNs) / 1e6);
  }

  /**
   * Publishes as fast as answers come back, with at most `connections x depth` requests in flight,
   * and only while `canSend()` (the subscribers are not too far behind); otherwise it looks again
   * every millisecond.
   */
  startSaturation(canSend: () => boolean): void {
    this.#canSend = canSend;
    this.#running = true;
    this.#pump();
  }

  #pump(): void {
    if (!this.#running || this.#broken) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    let inFlight = this.inFlight;
    while (inFlight < this.#maxInFlight) {
      if (!this.#canSend()) {
        this.#timer = setTimeout(() => this.#pump(), 1);
        return;
      }
      this.#send();
      inFlight++;
    }
  }

  /** Stops sending, waits (at most 5 s) for the answers in flight, closes the connections. */
  async stop(): Promise<PublisherStats> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (let i = 0; i < 500 && this.inFlight > 0 && !this.#broken; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.#stopped = true;
    for (const c of this.#connections) c.socket.destroy();
    return this.stats;
  }
}
