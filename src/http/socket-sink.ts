import { ServerResponse as NodeServerResponse, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ResponseSink, when } from './response-sink.js';

/**
 * Chunked framing of an event's bytes, made once per event and shared by every socket (the event's
 * Buffer is the same object for all of them, so it is the key; weak: it lives as long as the event).
 * A small event is framed into one Buffer (one write per socket); a large one keeps its bytes and
 * gets its size line and CRLF around them in the same writev, so no payload is ever copied.
 */
const framed = new WeakMap<Buffer, Buffer | readonly [Buffer, Buffer]>();
const CRLF = Buffer.from('\r\n');
const COPY_LIMIT = 4096;

// The last events framed: a flush writes the same few events to every socket in a row (one, or a
// turn's worth under load), so a scan of this small ring answers almost every lookup by identity,
// without a WeakMap hash (nor a store, which costs a write barrier for a new Buffer).
const RECENT = 64;
const recentWires: (Buffer | undefined)[] = new Array<Buffer | undefined>(RECENT).fill(undefined);
const recentFramed: (Buffer | readonly [Buffer, Buffer])[] = new Array<Buffer | readonly [Buffer, Buffer]>(
  RECENT,
).fill(CRLF);
let nextSlot = 0;

function frame(wire: Buffer): Buffer | readonly [Buffer, Buffer] {
  // Newest first: a lone event is found at once.
  for (let n = 0, i = nextSlot; n < RECENT; n++) {
    i = i === 0 ? RECENT - 1 : i - 1;
    if (recentWires[i] === wire) return recentFramed[i]!;
  }
  let chunk = framed.get(wire);
  if (chunk === undefined) {
    const size = Buffer.from(`${wire.length.toString(16)}\r\n`);
    chunk = wire.length <= COPY_LIMIT ? Buffer.concat([size, wire, CRLF]) : ([size, wire] as const);
    framed.set(wire, chunk);
  }
  recentWires[nextSlot] = wire;
  recentFramed[nextSlot] = chunk;
  nextSlot = (nextSlot + 1) % RECENT;
  return chunk;
}

/** Writes one event, framed; false once the socket's queue is past its high-water mark. */
function writeFramed(socket: Socket, wire: Buffer): boolean {
  const chunk = frame(wire);
  if (!Array.isArray(chunk)) return socket.write(chunk as Buffer);
  socket.write(chunk[0]);
  socket.write(chunk[1]);
  return socket.write(CRLF);
}

/** Node's private state, read to know the head is on the socket and nothing is queued in the response. */
interface ResponseInternals {
  chunkedEncoding?: boolean;
  outputData?: unknown[];
  _header?: string | null;
  _headerSent?: boolean;
}

/**
 * Node keeps the response head's text (about 200 bytes) for the life of the response, though it
 * never sends it again once sent; a stream lives for hours, so a sent head is swapped for one shared
 * marker (still truthy: `headersSent` stays true).
 */
const SENT_HEAD = 'sent';

/**
 * Can this stream's bytes go straight to its socket? Once the head is out, an HTTP/1.1 response
 * with chunked framing (what Node picks for a stream) may be written as ready-framed chunks on the
 * socket: the same bytes `ServerResponse.write` would send, without its per-write work. Not when
 * something wraps the response's `write` (a compression middleware, say), when the head is still
 * queued behind an earlier response on a pipelined connection, or for HTTP/1.0 (close-delimited).
 */
export function canWriteDirectly(res: ServerResponse): boolean {
  const internals = res as unknown as ResponseInternals;
  return (
    res.socket !== null &&
    !res.socket.destroyed &&
    internals.chunkedEncoding === true &&
    internals.outputData?.length === 0 &&
    res.write === NodeServerResponse.prototype.write
  );
}

/**
 * A session's sink that writes to the socket directly, with the chunked framing computed once per
 * event. The stream's end still goes through the response (`res.end()` writes the terminating
 * chunk and keeps Node's keep-alive bookkeeping right), so clients see a clean end.
 */
export class SocketSink extends ResponseSink {
  readonly #socket: Socket;

  constructor(res: ServerResponse) {
    super(res);
    this.#socket = res.socket as Socket;
    const internals = res as unknown as ResponseInternals;
    if (internals._headerSent === true && typeof internals._header === 'string')
      internals._header = SENT_HEAD;
  }

  // No check for a destroyed socket: a write to one is dropped by the stream itself, and its
  // 'close' ends the session on the next turn.
  override write(chunks: readonly Buffer[]): boolean {
    const socket = this.#socket;
    if (chunks.length === 1 && chunks[0]!.length <= COPY_LIMIT) return writeFramed(socket, chunks[0]!);
    // One tick's events for this socket leave in one writev.
    socket.cork();
    let taken = true;
    for (const chunk of chunks) taken = writeFramed(socket, chunk);
    socket.uncork();
    return taken;
  }

  override buffered(): number {
    return this.#socket.writableLength;
  }

  override drained(): Promise<void> {
    const socket = this.#socket;
    return when(!socket.writableNeedDrain || socket.destroyed, socket, 'drain');
  }
}
