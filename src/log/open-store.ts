import type { EventLog, Retention } from './event-log.js';
import { StoreUrlError } from './store-errors.js';
import { STORE_URL_FORMS, type StoreSpec, storeTypeOf } from './store-registry.js';
import type { StoreOpenOptions, StoreType } from './store-type.js';

export { StoreOpenError, StoreUrlError } from './store-errors.js';
export { STORE_URL_FORMS, type StoreSpec } from './store-registry.js';

/** The registered store a URL is for and what it names; throws StoreUrlError otherwise. */
function resolve(url: string): { type: StoreType<StoreSpec>; spec: StoreSpec } {
  const type = storeTypeOf(url);
  const spec = type?.parse(url);
  if (!type || !spec)
    throw new StoreUrlError(`unknown store ${JSON.stringify(url)} (accepted: ${STORE_URL_FORMS.join(', ')})`);
  return { type, spec };
}

/** Parses a store URL; throws StoreUrlError (a usage error) with a one-line reason. */
export function parseStoreUrl(url: string): StoreSpec {
  return resolve(url).spec;
}

/**
 * Opens the store a URL names, with the retention every store applies: `memory`, `sqlite:PATH`
 * (relative to the working directory; the file and its folder are created if missing),
 * `redis://[user:pass@]host:port[/db][?stream=NAME]` or `rediss://...` (TLS).
 *
 * Throws StoreUrlError for a malformed URL (a usage error: the CLI exits 2) and StoreOpenError
 * when the store cannot be opened: an unreachable Redis (checked with a PING within `timeoutMs`,
 * default 2 s), an unwritable folder, a corrupt or locked SQLite file (the CLI exits 1). Both carry
 * a one-line reason.
 */
export async function openStore(
  url: string,
  retention: Retention = {},
  options: StoreOpenOptions = {},
): Promise<EventLog> {
  const { type, spec } = resolve(url);
  return type.open(spec, retention, options);
}
