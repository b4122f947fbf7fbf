import { type KeptRecords, LogUnavailableError } from '../log/event-log.js';
import { HeraldError } from './refusal.js';
import { parseRevocationRecord, type RevocationRecord, type Revocations } from './revocations.js';

const KEY_PREFIX = 'revocation:';
/** How long a credential waits for the first read of the kept revocations before it is refused. */
const READ_WAIT_MS = 2000;
const RETRY_MS = 1000;
const REWRITE_TRIES = 60;

function keyOf(record: RevocationRecord): string {
  return record.subject !== undefined
    ? `${KEY_PREFIX}sub:${record.subject}`
    : `${KEY_PREFIX}jti:${record.tokenId}`;
}

/**
 * The hub's revocations as the store keeps them (KeptRecords), beside the log and apart from its
 * retention: read when the hub starts, so one that restarts or joins a cluster refuses what was
 * revoked before; written with every revocation; written again after the store lost them (restarted
 * empty). No credential is admitted before the first read (see `ready`).
 */
export class KeptRevocations {
  #known: boolean;
  readonly #read: Promise<void>;
  #stopped = false;

  constructor(
    private readonly kept: KeptRecords | undefined,
    private readonly revocations: Revocations,
  ) {
    this.#known = kept === undefined;
    this.#read = this.#known ? Promise.resolve() : this.#readUntilDone();
  }

  /** True once the kept revocations have been read (at once for a store that keeps none). */
  get known(): boolean {
    return this.#known;
  }

  /** Waits for the first read; refuses ('unavailable') when the store has not answered in time. */
  async ready(): Promise<void> {
    if (this.#known) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#read, new Promise((resolve) => (timer = setTimeout(resolve, READ_WAIT_MS)))]);
    clearTimeout(timer);
    if (!this.#known)
      throw new HeraldError(
        'unavailable',
        'the hub has not yet read the revoked tokens from its event store (unavailable): try again shortly',
        { retryAfterMs: RETRY_MS },
      );
  }

  /** Keeps one revocation in the store (503 when the store cannot take it now). */
  async keep(record: RevocationRecord): Promise<void> {
    if (this.kept === undefined) return;
    try {
      await this.kept.keep(keyOf(record), JSON.stringify(record), this.revocations.until(record.at));
    } catch (error) {
      if (error instanceof LogUnavailableError)
        throw new HeraldError('unavailable', `the event store is unavailable: ${error.message}`, {
          retryAfterMs: RETRY_MS,
          cause: error,
        });
      throw error;
    }
  }

  /**
   * Writes every revocation this hub knows again (the store restarted empty). The store may still
   * be reconnecting when the gap is seen: tried again every second, at most REWRITE_TRIES times.
   */
  rewrite(): void {
    const kept = this.kept;
    if (kept === undefined) return;
    void (async () => {
      for (let attempt = 0; attempt < REWRITE_TRIES && !this.#stopped; attempt++) {
        try {
          for (const record of [...this.revocations.records()])
            await kept.keep(keyOf(record), JSON.stringify(record), this.revocations.until(record.at));
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
        }
      }
    })();
  }

  stop(): void {
    this.#stopped = true;
  }

  async #readUntilDone(): Promise<void> {
    const kept = this.kept!;
    while (!this.#stopped) {
      try {
        const records: RevocationRecord[] = [];
        for (const [key, value] of await kept.all()) {
          if (!key.startsWith(KEY_PREFIX)) continue;
          const record = parseRevocationRecord(value);
          if (record !== undefined) records.push(record);
        }
        // Oldest first: the order in which Revocations forgets them.
        for (const record of records.sort((a, b) => a.at - b.at)) this.revocations.add(record);
        this.#known = true;
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }
}
