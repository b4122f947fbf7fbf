// Chat over Herald: messages go up with a POST to this server, which validates them and calls
// hub.publish; they come down to every member of the room over SSE (GET /events, served by the
// embedded hub). Run: npm run example:chat   (PORT=8080 by default)
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createHub, type HeraldHub } from '../../src/index.js';

const ROOM = /^[a-z0-9][a-z0-9-]{0,31}$/;
const MAX_NAME = 32;
const MAX_TEXT = 1000;
const PRESENCE_CHECK_MS = 500;

const file = (name: string) => readFileSync(new URL(`./public/${name}`, import.meta.url));
const PAGES: Record<string, [string, Buffer]> = {
  '/': ['text/html; charset=utf-8', file('index.html')],
  '/chat.js': ['text/javascript; charset=utf-8', file('chat.js')],
  '/chat.css': ['text/css; charset=utf-8', file('chat.css')],
};

export interface ChatServer {
  url: string;
  hub: HeraldHub;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage, limit = 8192): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('message too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Checks a message; returns the error to show, or the clean fields. */
export function validateMessage(body: unknown): { room: string; name: string; text: string } | string {
  if (typeof body !== 'object' || body === null) return 'send JSON: {"room", "name", "text"}';
  const { room, name, text } = body as Record<string, unknown>;
  if (typeof room !== 'string' || !ROOM.test(room))
    return 'room: lowercase letters, digits and "-", up to 32';
  if (typeof name !== 'string' || name.trim() === '' || name.trim().length > MAX_NAME)
    return `name: 1 to ${MAX_NAME} characters`;
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT)
    return `text: 1 to ${MAX_TEXT} characters`;
  return { room, name: name.trim(), text: text.trim() };
}

export async function startChat(port = 0, host = '127.0.0.1'): Promise<ChatServer> {
  // Library use: the hub lives inside this server. Its history is the rooms' history.
  const hub = createHub({ history: { maxEvents: 5000 }, monitor: false });
  // Joining members replay the room from here: everything since this server started (as far as
  // the history goes; past that the hub says so with a herald-gap event first).
  const origin = await hub.head();

  // Presence: how many streams are subscribed to each room, published when it changes. The counts
  // are what GET /subscriptions?topic=chat/ROOM answers (cluster-wide when the hub is on Redis);
  // this hub's own subscriptions say which rooms exist.
  const counted = new Map<string, number>();
  const presence = setInterval(() => {
    const rooms = [...new Set([...counted.keys(), ...hub.subscriberCounts().keys()])].filter(
      (room) => room.startsWith('chat/') && !room.includes('*'),
    );
    if (rooms.length === 0) return;
    const counts = hub.subscriptionCounts(rooms);
    for (const room of rooms) {
      const count = counts[room] ?? 0;
      if (count === (counted.get(room) ?? 0)) continue;
      counted.set(room, count);
      if (count > 0)
        hub.publish({ topics: room, type: 'presence', data: JSON.stringify({ count }) }).catch(() => {});
    }
  }, PRESENCE_CHECK_MS).unref();

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const page = PAGES[path];
    if (req.method === 'GET' && page) {
      res.writeHead(200, { 'content-type': page[0], 'cache-control': 'no-cache' });
      res.end(page[1]);
    } else if (path === '/chat/config.json') {
      send(res, 200, { origin });
    } else if (path === '/chat/send' && req.method === 'POST') {
      readJson(req)
        .then(async (body) => {
          const message = validateMessage(body);
          if (typeof message === 'string') return send(res, 400, { error: message });
          const data = JSON.stringify({ name: message.name, text: message.text, t: Date.now() });
          const { id } = await hub.publish({ topics: `chat/${message.room}`, type: 'message', data });
          send(res, 200, { id });
        })
        .catch((error: Error) => send(res, 400, { error: error.message }));
    } else {
      hub.handler(req, res); // /events, /healthz, /metrics ...
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject); // a taken port rejects instead of crashing the process
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    clearInterval(presence);
    await hub.close();
    throw error;
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    hub,
    async close() {
      clearInterval(presence);
      server.close();
      await hub.close();
      server.closeAllConnections();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 8080);
  const chat = await startChat(port, process.env.HOST ?? '127.0.0.1').catch(
    (error: NodeJS.ErrnoException) => {
      console.error(
        error.code === 'EADDRINUSE'
          ? `chat: port ${port} is in use: stop the other process or run with PORT=N`
          : `chat: cannot start: ${error.message}`,
      );
      process.exit(1);
    },
  );
  console.log(`chat: open ${chat.url}/ in two browser windows`);
  const stop = () => chat.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
