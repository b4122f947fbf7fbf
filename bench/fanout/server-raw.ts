// The raw-socket baseline, the ceiling of one Node process: node:http accepts `GET /events`, and from
// then on the stream's head and every event go straight to `socket.write`. Each event is encoded
// once, with its HTTP/1.1 chunk framing, into one Buffer that every socket gets; one event-loop
// turn's events leave in one write per socket (setImmediate batching, cork/uncork). The bytes on the
// wire are the ones node:http would have framed for the same headers (and those Herald sends):
// `Transfer-Encoding: chunked`, one chunk per event. POST /publish (form: topic=...&data=...) has no
// auth and answers through node:http as usual.
//
// Why `req.socket` and not `res.detachSocket()`: detachSocket is undocumented, and it only unhooks
// the response from the socket; node's HTTP parser stays attached either way. A request whose
// response is never written is an ordinary state of node:http (a handler still working on it): node
// writes nothing on that socket by itself, the request is complete so no request timeout applies
// (server.timeout is 0), and `res` stays as the socket's current message, so the server's own
// accounting of the connection (close, drain) goes on as usual. The stream belongs to this file from
// the first byte of the status line: `res` is never written to, and a stream that had to end would
// write the chunked terminator `0\r\n\r\n` itself and then end the socket (keep-alive reuse is not
// possible once node's response is bypassed). Streams never end here; a subscriber that goes away
// closes its socket.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { runHarness } from './server-harness.js';

// The head node:http writes for Herald's headers (see server-baseline.ts), byte for byte, with the
// date of the moment the stream opens.
const head = (date: string): string =>
  'HTTP/1.1 200 OK\r\n' +
  'content-type: text/event-stream; charset=utf-8\r\n' +
  'cache-control: no-cache, no-transform\r\n' +
  'x-accel-buffering: no\r\n' +
  `Date: ${date}\r\n` +
  'Connection: keep-alive\r\n' +
  'Keep-Alive: timeout=5\r\n' +
  'Transfer-Encoding: chunked\r\n\r\n';

/** One chunk of a chunked body: `<size in hex>\r\n<bytes>\r\n`, for text the caller has checked. */
function chunk(text: string): Buffer {
  return Buffer.from(`${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`, 'latin1');
}

// Ids as long as Herald's (`<12-character epoch>-<sequence>`), so that every server sends the same bytes.
const EPOCH = `${Date.now().toString(36)}0000`.slice(0, 12);
const PREAMBLE = `retry: 3000\nid: ${EPOCH}-0\n\n`;

/** Open streams by topic (one exact name, no selectors). */
const topics = new Map<string, Set<Socket>>();
let seq = 0;
let delivered = 0;
/** This turn's framed events, not yet written, and the streams of their topic. */
let pending: Buffer[] = [];
let pendingStreams: Set<Socket> | undefined;
let flushScheduled = false;

function streamsOf(topic: string): Set<Socket> {
  let set = topics.get(topic);
  if (set === undefined) {
    set = new Set();
    topics.set(topic, set);
  }
  return set;
}

function flush(): void {
  flushScheduled = false;
  const streams = pendingStreams;
  if (streams === undefined) return;
  const chunks = pending;
  pending = [];
  pendingStreams = undefined;
  if (chunks.length === 1) {
    const one = chunks[0]!;
    for (const socket of streams) socket.write(one);
  } else {
    for (const socket of streams) {
      socket.cork();
      for (const c of chunks) socket.write(c);
      socket.uncork();
    }
  }
  delivered += chunks.length * streams.size;
}

function publish(data: string, topic = 'bench'): void {
  // The benchmark's data is one line of ASCII; an SSE server would split it on line ends.
  const wire = chunk(`id: ${EPOCH}-${++seq}\ndata: ${data}\n\n`);
  const streams = streamsOf(topic);
  // One turn batches one topic's events; another topic's event first writes out what is batched.
  if (pendingStreams !== undefined && pendingStreams !== streams) flush();
  pending.push(wire);
  pendingStreams = streams;
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function publishRoute(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(parts).toString());
    const data = form.get('data');
    if (data === null || /[\r\n]/.test(data)) {
      res.writeHead(400).end();
      return;
    }
    publish(data, form.get('topic') ?? 'bench');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(String(seq));
  });
}

function subscribe(req: IncomingMessage): void {
  const socket = req.socket;
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const topic = new URLSearchParams(query === -1 ? '' : url.slice(query + 1)).get('topic') ?? '';
  const streams = streamsOf(topic);
  // The head and the first chunk in one write, as node:http sends them after flushHeaders + write.
  socket.write(Buffer.concat([Buffer.from(head(new Date().toUTCString()), 'latin1'), chunk(PREAMBLE)]));
  streams.add(socket);
  socket.once('close', () => streams.delete(socket));
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    publishRoute(req, res);
    return;
  }
  if (req.method !== 'GET' || !req.url?.startsWith('/events')) {
    res.writeHead(404).end();
    return;
  }
  subscribe(req);
});
server.timeout = 0;
server.listen(0, '127.0.0.1', () => {
  runHarness(
    {
      publish,
      connections: () => {
        let n = 0;
        for (const set of topics.values()) n += set.size;
        return n;
      },
      streams: () => streamsOf('bench'),
      published: () => seq,
      delivered: () => delivered,
      dropped: () => 0,
    },
    (server.address() as AddressInfo).port,
  );
});
