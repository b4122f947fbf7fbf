// The ceiling: a bare node:http SSE server that keeps a list of responses and writes one pre-encoded
// Buffer per event to every socket. With `--coalesce`, one event-loop turn's events leave in one
// write per socket (setImmediate batching plus cork/uncork, the write pattern Herald uses); with
// `--concat`, they are joined into one Buffer once per turn, which is as cheap as a turn can get.
// Same response headers and first bytes as Herald. POST /publish (form: topic=...&data=...) has no
// auth. Streams are grouped by their `topic` query parameter (one exact name, no selectors).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runHarness } from './server-harness.js';

const mode = process.argv.includes('--concat')
  ? 'concat'
  : process.argv.includes('--coalesce')
    ? 'coalesce'
    : 'plain';

const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};
// Ids as long as Herald's (`<12-character epoch>-<sequence>`), so that both send the same bytes.
const EPOCH = `${Date.now().toString(36)}0000`.slice(0, 12);
const PREAMBLE = Buffer.from(`retry: 3000\nid: ${EPOCH}-0\n\n`);

/** Open streams by topic. */
const topics = new Map<string, Set<ServerResponse>>();
let seq = 0;
let delivered = 0;
/** Events of this turn not yet written, with the streams of their topic. */
let pending: Buffer[] = [];
let pendingStreams: Set<ServerResponse> | undefined;
let flushScheduled = false;

function streamsOf(topic: string): Set<ServerResponse> {
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
  if (mode === 'concat') {
    const one = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    for (const res of streams) res.write(one);
  } else if (chunks.length === 1) {
    const one = chunks[0]!;
    for (const res of streams) res.write(one);
  } else {
    for (const res of streams) {
      res.cork();
      for (const chunk of chunks) res.write(chunk);
      res.uncork();
    }
  }
  delivered += chunks.length * streams.size;
}

function publish(data: string, topic = 'bench'): void {
  const wire = Buffer.from(`id: ${EPOCH}-${++seq}\ndata: ${data}\n\n`);
  const streams = streamsOf(topic);
  // One turn batches one topic's events; another topic's event first writes out what is batched.
  if (pendingStreams !== undefined && pendingStreams !== streams) flush();
  if (mode === 'plain') {
    for (const res of streams) res.write(wire);
    delivered += streams.size;
    return;
  }
  pending.push(wire);
  pendingStreams = streams;
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function publishRoute(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (chunk: Buffer) => parts.push(chunk));
  req.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(parts).toString());
    const data = form.get('data');
    if (data === null) {
      res.writeHead(400).end();
      return;
    }
    publish(data, form.get('topic') ?? 'bench');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(String(seq));
  });
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    publishRoute(req, res);
    return;
  }
  if (!req.url?.startsWith('/events')) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, HEADERS);
  res.flushHeaders();
  res.write(PREAMBLE);
  const query = req.url.indexOf('?');
  const streams = streamsOf(
    new URLSearchParams(query === -1 ? '' : req.url.slice(query + 1)).get('topic') ?? '',
  );
  streams.add(res);
  res.once('close', () => streams.delete(res));
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
