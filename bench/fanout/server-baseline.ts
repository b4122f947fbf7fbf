// The ceiling: a bare node:http SSE server that keeps a list of responses and writes one pre-encoded
// Buffer per event to every socket. With `--coalesce`, one event-loop turn's events leave in one
// write per socket (setImmediate batching plus cork/uncork, the write pattern Herald uses); with
// `--concat`, they are joined into one Buffer once per turn, which is as cheap as a turn can get.
// Same response headers and first bytes as Herald. POST /publish (form: data=...) has no auth.
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

const streams = new Set<ServerResponse>();
let seq = 0;
let delivered = 0;
let pending: Buffer[] = [];
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  const chunks = pending;
  pending = [];
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

function publish(data: string): void {
  const wire = Buffer.from(`id: ${EPOCH}-${++seq}\ndata: ${data}\n\n`);
  if (mode === 'plain') {
    for (const res of streams) res.write(wire);
    delivered += streams.size;
    return;
  }
  pending.push(wire);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function publishRoute(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (chunk: Buffer) => parts.push(chunk));
  req.on('end', () => {
    const data = new URLSearchParams(Buffer.concat(parts).toString()).get('data');
    if (data === null) {
      res.writeHead(400).end();
      return;
    }
    publish(data);
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
  streams.add(res);
  res.once('close', () => streams.delete(res));
});
server.timeout = 0;
server.listen(0, '127.0.0.1', () => {
  runHarness(
    {
      publish,
      connections: () => streams.size,
      streams: () => streams,
      published: () => seq,
      delivered: () => delivered,
      dropped: () => 0,
    },
    (server.address() as AddressInfo).port,
  );
});
