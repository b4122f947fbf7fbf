// Client: node-redis (`@redis/client`, the client package of node-redis, without the Redis Stack
// modules the `redis` meta-package adds). It is the client Redis itself maintains and recommends
// for new projects (ioredis is kept up but no longer the one new features land in first), it
// supports Node 20, RESP2/RESP3, TLS, ACL users and a reconnect strategy we control, and it is
// written in TypeScript. Every command goes through `sendCommand` with RESP2 replies, so the
// shapes the Redis log parses are Redis's own (documented per command), not a client-side transform.
//
// Deadlines: node-redis's command timeout only covers the wait before a command is written to the
// socket; a server that stops answering (SIGSTOP, a stalled host) leaves written commands waiting.
// So every call races its own timer and rejects with LogUnavailableError when it fires. The
// command may still run later on the server: an append that was refused to its caller can appear
// in the stream afterwards, so the error says the outcome is unknown (`outcomeUnknown`); a caller
// that retries with the same idempotency key finds the first append's id (see idempotent-append.ts).

import type { ConnectionOptions } from 'node:tls';
import { createClient, ErrorReply } from '@redis/client';
import { LogUnavailableError } from '../event-log.js';
import type { RedisAddress } from './url.js';

/** How the Redis log's clients connect and reconnect. */
export interface RedisClientOptions {
  /** TLS options for `rediss://` (a private CA, a client certificate). */
  tls?: ConnectionOptions;
  /** How long an append, a read or the startup check may wait for Redis (default 2,000 ms). */
  timeoutMs?: number;
  /** The tail's reconnect backoff: first wait and ceiling (default 50 ms and 2,000 ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export type RedisClient = ReturnType<typeof newClient>;

/**
 * A client. The commands and reads clients reconnect on their own, with backoff, except that while
 * the log is still opening, a refusal by the server (a wrong password, an unknown database) ends
 * the attempt at once; the tail's client never reconnects (the tail loop makes a new one).
 */
export function newClient(
  address: RedisAddress,
  options: RedisClientOptions,
  role: 'commands' | 'reads' | 'tail',
  opening: () => boolean = () => false,
) {
  const reconnect = role !== 'tail';
  const min = options.reconnectMinMs ?? 50;
  const max = options.reconnectMaxMs ?? 2000;
  const common = {
    host: address.host,
    port: address.port,
    connectTimeout: options.timeoutMs ?? 2000,
    reconnectStrategy: reconnect
      ? (retries: number, cause: Error) =>
          opening() && cause instanceof ErrorReply
            ? cause
            : Math.min(max, min * 2 ** Math.min(retries, 16)) * (0.75 + Math.random() / 2)
      : (false as const),
  };
  return createClient({
    RESP: 2,
    // Named for CLIENT LIST: which connections are a hub's commands and which its blocking tail.
    name: `herald-${role}`,
    username: address.username,
    password: address.password,
    database: address.database,
    // Commands sent while disconnected fail at once instead of waiting for a reconnect.
    disableOfflineQueue: true,
    socket: address.tls
      ? { ...common, tls: true as const, ...options.tls }
      : { ...common, tls: false as const },
  });
}

export function reasonFor(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message.split('\n', 1)[0]! : String(error);
  if (typeof code === 'string' && !message.includes(code)) return message ? `${code}: ${message}` : code;
  return message || (error instanceof Error ? error.name : 'unknown error');
}

/** Races a promise against a timer; the timer rejects with LogUnavailableError. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LogUnavailableError(`Redis did not answer ${what} within ${ms} ms`, { outcomeUnknown: true }),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function unavailable(error: unknown): LogUnavailableError {
  if (error instanceof LogUnavailableError) return error;
  return new LogUnavailableError(`Redis is unavailable: ${reasonFor(error)}`, { cause: error });
}

/** Connects within `timeoutMs`; on a timeout, the client's last error says more than the timer. */
export async function connect(client: RedisClient, timeoutMs: number, what: string): Promise<void> {
  let lastError: unknown;
  const onError = (error: unknown) => {
    lastError = error;
  };
  client.on('error', onError);
  try {
    await withDeadline(client.connect(), timeoutMs, `${what}`).catch((error) => {
      throw lastError && error instanceof LogUnavailableError ? lastError : error;
    });
  } finally {
    client.off('error', onError);
  }
}

/** One command with a deadline; every failure is a LogUnavailableError. */
export async function call<T>(
  client: RedisClient,
  args: string[],
  timeoutMs: number,
  what: string = args[0]!,
): Promise<T> {
  try {
    return await withDeadline(client.sendCommand<T>(args), timeoutMs, what);
  } catch (error) {
    throw unavailable(error);
  }
}
