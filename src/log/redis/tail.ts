import type { StoredEvent, TailListener } from '../event-log.js';
import {
  call,
  connect,
  newClient,
  type RedisClient,
  type RedisClientOptions,
  withDeadline,
} from './client.js';
import { lastTrimmed, trimmedKeyOf } from './retention.js';
import { PAGE_ENTRIES, type RawEntry, toEvent } from './stream-entry.js';
import { compareStreamIds, START } from './stream-ids.js';
import type { RedisAddress } from './url.js';

export interface StreamTailOptions extends RedisClientOptions {
  stream: string;
  timeoutMs: number;
  /** How long one blocking XREAD waits for new entries. */
  blockMs: number;
}

/**
 * The tail of the stream, on a connection of its own: a blocking `XREAD` from the last id it
 * delivered, each entry handed to every listener in stream order.
 *
 * When it loses its connection it reconnects with backoff and resumes from the last id it
 * delivered (nothing lost, nothing twice). If the stream came back without that id and without
 * having trimmed it (Redis restarted without persistence, or from an older snapshot), or trimmed
 * entries the tail had not delivered yet, the listeners' `gap` is called once and delivery goes
 * on: from the new stream's start after a restart. (A tail that has delivered nothing yet, on a
 * stream that was empty when it started, has no id to check: a restart that lost entries it never
 * saw goes unnoticed by it; clients resuming with such entries' ids still get their gap.)
 */
export class StreamTail {
  readonly #address: RedisAddress;
  readonly #options: StreamTailOptions;
  readonly #trimmedKey: string;
  readonly #isClosed: () => boolean;
  #client: RedisClient | undefined;
  #done: Promise<void> = Promise.resolve();
  #lastDelivered = START;
  #listeners: TailListener[] = [];
  #wake: (() => void) | undefined;

  constructor(address: RedisAddress, options: StreamTailOptions, isClosed: () => boolean) {
    this.#address = address;
    this.#options = options;
    this.#trimmedKey = trimmedKeyOf(options.stream);
    this.#isClosed = isClosed;
  }

  /** Starts delivering the entries after `lastId`. */
  start(lastId: string): void {
    this.#lastDelivered = lastId;
    this.#done = this.#loop();
  }

  listen(listener: TailListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** The last id the tail delivered. */
  get lastDelivered(): string {
    return this.#lastDelivered;
  }

  /** Drops the listeners and the connection; resolves once the loop has ended (it ends once closed). */
  async stop(): Promise<void> {
    this.#listeners = [];
    this.#client?.destroy();
    this.#wake?.();
    await this.#done;
  }

  async #loop(): Promise<void> {
    const { stream, timeoutMs, blockMs } = this.#options;
    const min = this.#options.reconnectMinMs ?? 50;
    const max = this.#options.reconnectMaxMs ?? 2000;
    let backoff = min;
    let reconnected = false;
    while (!this.#isClosed()) {
      try {
        let client = this.#client;
        if (!client) {
          client = newClient(this.#address, this.#options, 'tail');
          client.on('error', () => {
            // The blocking read fails too; the loop reconnects.
          });
          this.#client = client;
          await connect(client, timeoutMs, 'the tail connection');
        }
        if (reconnected) {
          await this.#checkContinuity(client);
          reconnected = false;
        }
        const reply = await withDeadline(
          client.sendCommand<[string, RawEntry[]][] | null>([
            'XREAD',
            'COUNT',
            String(PAGE_ENTRIES),
            'BLOCK',
            String(blockMs),
            'STREAMS',
            stream,
            this.#lastDelivered,
          ]),
          blockMs + timeoutMs,
          'the tail XREAD',
        );
        backoff = min;
        if (this.#isClosed()) break;
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          this.#lastDelivered = id;
          this.#deliver(toEvent(id, fields));
        }
      } catch {
        if (this.#isClosed()) break;
        // A fresh connection next time: a stalled one may never answer again.
        this.#client?.destroy();
        this.#client = undefined;
        reconnected = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff * (0.75 + Math.random() / 2));
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        backoff = Math.min(max, backoff * 2);
      }
    }
    this.#client?.destroy();
    this.#client = undefined;
  }

  /** After a reconnect: is the last delivered id still where the stream's history goes on? */
  async #checkContinuity(client: RedisClient): Promise<void> {
    const { stream, timeoutMs } = this.#options;
    const last = this.#lastDelivered;
    const [at, trimmed] = await Promise.all([
      last === START
        ? Promise.resolve([] as RawEntry[])
        : call<RawEntry[]>(client, ['XRANGE', stream, last, last], timeoutMs),
      lastTrimmed(client, this.#trimmedKey, timeoutMs),
    ]);
    if (at.length > 0) return; // Still there: resume right after it.
    if (last === trimmed) return; // Trimmed, but nothing after it was.
    if (compareStreamIds(trimmed, last) > 0) {
      // Trimmed past what this tail delivered: those entries are gone; go on with what is left.
      this.#reportGap(last, trimmed);
      return;
    }
    // The stream does not know this id and never trimmed it: Redis lost it (restarted empty or
    // from an older snapshot). Start over from the new stream's beginning.
    this.#lastDelivered = START;
    this.#reportGap(last, START);
  }

  #reportGap(lastId: string, head: string): void {
    for (const listener of this.#listeners)
      try {
        listener.gap?.(lastId, head);
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
  }

  #deliver(event: StoredEvent): void {
    for (const listener of this.#listeners)
      try {
        listener.event(event);
      } catch (error) {
        // A listener's bug must not stop the others or the tail; it still surfaces.
        process.nextTick(() => {
          throw error;
        });
      }
  }
}
