export { type MintOptions, mintToken } from './auth/jwt.js';
export {
  createHub,
  type HeraldHub,
  HUB_DEFAULTS,
  type HubOptions,
  type HubStats,
  openHub,
} from './create-hub.js';
export type { FetchHandler, FetchInfo } from './http/fetch-adapter.js';
export type { HubLogger } from './http/http-counters.js';
export type { NodeHandler } from './http/node-adapter.js';
export type { ServerTimeouts } from './http/server.js';
export type { StaticAsset } from './http/static-assets.js';
export type { Authorizer, Credential, CredentialSource, Grant } from './hub/authorizer.js';
export type { PublishInput } from './hub/event-rules.js';
export { DEFAULT_LIMITS, type Limits } from './hub/limits.js';
export type { HubRecord, SubscriptionCounts } from './hub/presence.js';
export { HeraldError, type RefusalCode } from './hub/refusal.js';
export type { TopicSelector } from './hub/topic-selector.js';
export {
  type ClusterBoard,
  type EventLog,
  LogUnavailableError,
  type NewEvent,
  type ReadResult,
  type Retention,
  type StoredEvent,
  type TailListener,
} from './log/event-log.js';
export { MemoryLog, type MemoryLogOptions } from './log/memory.js';
export {
  openStore,
  parseStoreUrl,
  STORE_URL_FORMS,
  StoreOpenError,
  type StoreSpec,
  StoreUrlError,
} from './log/open-store.js';
export { RedisLog, type RedisLogOptions } from './log/redis.js';
export { SqliteLog, type SqliteLogOptions, type SqliteSynchronous } from './log/sqlite.js';
export type { Monitor, MonitorOptions } from './monitor/monitor.js';
