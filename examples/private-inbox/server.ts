// A private inbox over Herald: each user receives their own messages, and nobody else's, in a
// browser, with no long-lived secret in any URL. Two servers on one host, as in a deployment:
//
//   the app (this backend, http://127.0.0.1:8082): logs a user in and either sets the HttpOnly
//     `herald_auth` cookie (a short-lived subscriber token for users/<name>/**) or mints a
//     single-use ticket for the page by calling the hub's POST /tickets itself;
//   the hub (http://127.0.0.1:8083): a separate origin, listing the app's origin in corsOrigins,
//     with access_token switched off.
//
// Cookies are not kept apart by port, so the hub receives the cookie the app sets; across
// subdomains (app.example.com and hub.example.com) the app sets it with Domain=example.com.
// Run: npm run example:inbox   (APP_PORT=8082, HUB_PORT=8083 by default)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createHub, type HeraldHub, mintToken } from '../../src/index.js';

/** The demo's users; a real app checks a password or a session from its own login. */
export const USERS = ['alice', 'bob', 'carol'] as const;
const SESSION_COOKIE = 'inbox_session';
const MAX_TEXT = 500;

const file = (name: string) => readFileSync(new URL(`./public/${name}`, import.meta.url));
const PAGES: Record<string, [string, Buffer]> = {
  '/': ['text/html; charset=utf-8', file('index.html')],
  '/inbox.js': ['text/javascript; charset=utf-8', file('inbox.js')],
  '/inbox.css': ['text/css; charset=utf-8', file('inbox.css')],
};

export interface InboxOptions {
  appPort?: number;
  hubPort?: number;
  host?: string;
  /** Lifetime of the subscriber tokens the app mints (the cookie's, and those behind tickets). */
  tokenTtlSeconds?: number;
}

export interface InboxServer {
  /** The app's origin: open it in a browser. */
  url: string;
  /** The hub's origin. */
  hubUrl: string;
  hub: HeraldHub;
  close(): Promise<void>;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage, limit = 4096): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('request too large');
    chunks.push(chunk);
  }
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (typeof value !== 'object' || value === null) throw new Error('send a JSON object');
  return value as Record<string, unknown>;
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export async function startInbox(options: InboxOptions = {}): Promise<InboxServer> {
  const host = options.host ?? '127.0.0.1';
  const ttl = options.tokenTtlSeconds ?? 15 * 60;
  // The key the hub verifies subscriber tokens with; the app mints them with the same one.
  const key = process.env.HERALD_JWT_KEY ?? randomBytes(32).toString('base64url');
  const keyBytes = new TextEncoder().encode(key);
  const sessions = new Map<string, (typeof USERS)[number]>();
  const userOf = (req: IncomingMessage) => sessions.get(cookie(req, SESSION_COOKIE) ?? '');
  const subscriberToken = (user: string) =>
    mintToken(keyBytes, { subscribe: [`users/${user}/**`], ttlSeconds: ttl, subject: user });
  // HttpOnly: no page script can read it; SameSite=Lax: sent to the hub (same site), not to others'.
  const heraldCookie = (jwt: string) => `herald_auth=${jwt}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${ttl}`;

  let hub: HeraldHub | undefined;
  let hubUrl = '';
  const app: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const page = PAGES[path];
    if (req.method === 'GET' && page) {
      res.writeHead(200, { 'content-type': page[0], 'cache-control': 'no-cache' });
      res.end(page[1]);
      return;
    }
    if (req.method === 'GET' && path === '/api/me') {
      send(res, 200, { user: userOf(req) ?? null, hubUrl, users: USERS });
      return;
    }
    if (req.method !== 'POST') {
      send(res, 404, { error: 'not found' });
      return;
    }
    handle(path, req, res).catch((error: Error) => send(res, 400, { error: error.message }));
  });

  async function handle(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (path === '/api/login') {
      const { user } = await readJson(req);
      if (typeof user !== 'string' || !(USERS as readonly string[]).includes(user)) {
        return send(res, 400, { error: `pick one of ${USERS.join(', ')}` });
      }
      const session = randomBytes(18).toString('base64url');
      sessions.set(session, user as (typeof USERS)[number]);
      return send(
        res,
        200,
        { user },
        {
          'set-cookie': [
            `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Lax; Path=/`,
            heraldCookie(await subscriberToken(user)),
          ],
        },
      );
    }
    const user = userOf(req);
    if (user === undefined) return send(res, 401, { error: 'log in first' });
    switch (path) {
      case '/api/refresh':
        // After herald-reauth: a fresh cookie for the same user, then the page reconnects.
        return send(res, 200, { user }, { 'set-cookie': heraldCookie(await subscriberToken(user)) });
      case '/api/ticket': {
        // The backend trades a token it mints for a ticket; the page only ever sees the ticket.
        const answer = await fetch(`${hubUrl}/tickets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await subscriberToken(user)}` },
        });
        const body = (await answer.json().catch(() => ({ error: 'the hub refused' }))) as Record<
          string,
          unknown
        >;
        return send(res, answer.status, body);
      }
      case '/api/send': {
        const { to, text } = await readJson(req);
        if (typeof to !== 'string' || !(USERS as readonly string[]).includes(to)) {
          return send(res, 400, { error: `send to one of ${USERS.join(', ')}` });
        }
        if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT) {
          return send(res, 400, { error: `text: 1 to ${MAX_TEXT} characters` });
        }
        const data = JSON.stringify({ from: user, text: text.trim(), t: Date.now() });
        const { id } = await hub!.publish({ topics: `users/${to}/inbox`, type: 'mail', data, private: true });
        return send(res, 200, { id });
      }
      case '/api/logout':
        sessions.delete(cookie(req, SESSION_COOKIE) ?? '');
        return send(
          res,
          200,
          {},
          {
            'set-cookie': [`${SESSION_COOKIE}=; Path=/; Max-Age=0`, 'herald_auth=; Path=/; Max-Age=0'],
          },
        );
    }
    send(res, 404, { error: 'not found' });
  }

  await new Promise<void>((resolve, reject) => {
    app.once('error', reject);
    app.listen(options.appPort ?? 0, host, () => {
      app.off('error', reject);
      resolve();
    });
  });
  const appUrl = `http://${host}:${(app.address() as AddressInfo).port}`;
  try {
    hub = createHub({ jwtKey: key, corsOrigins: [appUrl], queryToken: false, monitor: false });
    const server = await hub.listen(options.hubPort ?? 0, host);
    hubUrl = `http://${host}:${(server.address() as AddressInfo).port}`;
  } catch (error) {
    app.close();
    await hub?.close();
    throw error;
  }
  const started = hub;
  return {
    url: appUrl,
    hubUrl,
    hub: started,
    async close() {
      app.close();
      app.closeAllConnections();
      await started.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const appPort = Number(process.env.APP_PORT ?? 8082);
  const hubPort = Number(process.env.HUB_PORT ?? 8083);
  const inbox = await startInbox({ appPort, hubPort, host: process.env.HOST ?? '127.0.0.1' }).catch(
    (error: NodeJS.ErrnoException) => {
      console.error(
        error.code === 'EADDRINUSE'
          ? `inbox: port ${appPort} or ${hubPort} is in use: run with APP_PORT=N HUB_PORT=M`
          : `inbox: cannot start: ${error.message}`,
      );
      process.exit(1);
    },
  );
  console.log(
    `inbox: open ${inbox.url}/ in two browser windows, log in as two users (hub at ${inbox.hubUrl})`,
  );
  const stop = () => inbox.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
