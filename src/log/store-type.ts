import type { EventLog, Retention } from './event-log.js';

/** How long opening may wait for a store that answers over the network (Redis). */
export interface StoreOpenOptions {
  timeoutMs?: number;
}

/**
 * A kind of store, as it registers itself in store-registry.ts: the URL schemes it answers to, how
 * it reads its URLs, and how it opens. `open` loads the store's driver (better-sqlite3, the Redis
 * client) only when it is called, so a hub never loads a driver it does not use.
 */
export interface StoreType<Spec extends { kind: string }> {
  /** URL schemes (the text before the first `:`, or the whole URL when it has none). */
  readonly schemes: readonly string[];
  /** The forms its URLs take, for `--help` and error messages. */
  readonly forms: readonly string[];
  /**
   * What the URL (as given, maybe with blanks around it) names; undefined when it is not one of this
   * store's forms after all (the registry then answers "unknown store"). Throws StoreUrlError for a
   * malformed URL of this store, with a one-line reason.
   */
  parse(url: string): Spec | undefined;
  /** Opens what `parse` returned; throws StoreOpenError with a one-line reason when it cannot. */
  open(spec: Spec, retention: Retention, options: StoreOpenOptions): Promise<EventLog>;
}
