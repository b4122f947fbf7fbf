// Stores by URL scheme (as Mercure registers its transports): a new store is a file that exports
// its StoreType and one line in STORES.
import { memoryStore } from './memory-store.js';
import { redisStore } from './redis/redis-store.js';
import { sqliteStore } from './sqlite-store.js';
import type { StoreType } from './store-type.js';

const STORES = [memoryStore, sqliteStore, redisStore] as const;

/** What a store URL names, before anything is opened: one of the registered stores' specs. */
export type StoreSpec = NonNullable<ReturnType<(typeof STORES)[number]['parse']>>;

/** The store URLs `openStore` accepts (every registered store's forms), for `--help` and error messages. */
export const STORE_URL_FORMS: readonly string[] = STORES.flatMap((store) => store.forms);

const BY_SCHEME = new Map<string, StoreType<StoreSpec>>(
  STORES.flatMap((store) => store.schemes.map((scheme) => [scheme, store] as const)),
);

/** The store a URL's scheme names (the text before the first `:`), or undefined. */
export function storeTypeOf(url: string): StoreType<StoreSpec> | undefined {
  const text = url.trim();
  const colon = text.indexOf(':');
  return BY_SCHEME.get(colon === -1 ? text : text.slice(0, colon));
}
