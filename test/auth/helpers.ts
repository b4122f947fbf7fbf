import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';

export interface KeyPair {
  readonly alg: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public key as SPKI PEM text. */
  readonly pem: string;
  /** The public key as a JWK with `kid` and `alg`. */
  jwk(kid: string, withAlg?: boolean): Record<string, unknown>;
}

function pair(alg: string, type: 'rsa' | 'ec' | 'ed25519', curve?: string): KeyPair {
  const { privateKey, publicKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: curve! })
        : generateKeyPairSync('ed25519');
  return {
    alg,
    privateKey,
    publicKey,
    pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    jwk(kid, withAlg = true) {
      return { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', ...(withAlg ? { alg } : {}) };
    },
  };
}

const made = new Map<string, KeyPair>();

/** A key pair per algorithm family, made once per test file. */
export function keyPair(name: 'RS256' | 'ES256' | 'ES384' | 'EdDSA' | 'RS256b' | 'ES256b'): KeyPair {
  let found = made.get(name);
  if (found === undefined) {
    if (name.startsWith('RS')) found = pair('RS256', 'rsa');
    else if (name === 'ES384') found = pair('ES384', 'ec', 'P-384');
    else if (name.startsWith('ES')) found = pair('ES256', 'ec', 'P-256');
    else found = pair('EdDSA', 'ed25519');
    made.set(name, found);
  }
  return found;
}

export interface SignOptions {
  alg?: string;
  kid?: string;
  /** Seconds from now (negative: in the past). */
  expiresIn?: number;
  notBeforeIn?: number;
  issuer?: string;
  audience?: string | string[];
  subscribe?: string[];
  subject?: string;
}

/** A signed token with Herald claims; `now` in ms (default the real clock). */
export function sign(
  key: KeyObject | Uint8Array,
  options: SignOptions = {},
  now: number = Date.now(),
): Promise<string> {
  const seconds = Math.floor(now / 1000);
  let jwt = new SignJWT({ herald: { subscribe: options.subscribe ?? ['users/1/**'] } }).setProtectedHeader({
    alg: options.alg ?? 'RS256',
    ...(options.kid === undefined ? {} : { kid: options.kid }),
  });
  jwt = jwt.setIssuedAt(seconds);
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(seconds + options.expiresIn);
  if (options.notBeforeIn !== undefined) jwt = jwt.setNotBefore(seconds + options.notBeforeIn);
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  if (options.subject !== undefined) jwt = jwt.setSubject(options.subject);
  return jwt.sign(key);
}

/** A token with a chosen header and claims, signed by no one (`alg: none`, empty signature). */
export function unsigned(header: Record<string, unknown> = { alg: 'none' }): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part({ herald: { subscribe: ['**'] } })}.`;
}

/** A temporary directory, removed by the returned function. */
export function tempDir(): { dir: string; path(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'herald-auth-'));
  return {
    dir,
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** A node:http server on 127.0.0.1 answering every GET with what `answer` holds now. */
export interface KeyServer {
  readonly url: string;
  /** Requests received so far. */
  readonly requests: number;
  answer: Answer;
  close(): Promise<void>;
}

export async function keyServer(body: unknown): Promise<KeyServer> {
  let requests = 0;
  const holder: { answer: Answer } = { answer: { status: 200, body: JSON.stringify(body) } };
  const server: Server = createServer((_req, res) => {
    requests++;
    const { status, body: text, headers, delayMs } = holder.answer;
    const send = () => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
    if (delayMs) setTimeout(send, delayMs).unref();
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    get answer() {
      return holder.answer;
    },
    set answer(next) {
      holder.answer = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A clock the test moves by hand, starting at the real time. */
export function manualClock(): { now: () => number; advance(ms: number): void } {
  let time = Date.now();
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}

/** A reason is one line, in plain words (no library error codes or names). */
export function plainReason(message: string): void {
  if (/\n|ERR_|JWS|JOSE|claim timestamp check|"alg"/.test(message)) {
    throw new Error(`not a plain one-line reason: ${JSON.stringify(message)}`);
  }
}
