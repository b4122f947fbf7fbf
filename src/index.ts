export {
  type AuthorizerContext,
  type AuthorizerSpec,
  createAuthorizer,
  type KeySpec,
  KeySpecError,
} from './auth/create-authorizer.js';
export type { KeyOption } from './auth/hub-keys.js';
export type { KeySetEvents } from './auth/jwks-file.js';
export { type MintOptions, mintToken } from './auth/jwt.js';
export type { TokenChecks } from './auth/key-authorizer.js';
export type { KeyChoice, KeySet } from './auth/key-set.js';
export { parseKeySpec } from './auth/key-spec.js';
export type { PinnedKey } from './auth/pinned-key.js';
export type { ExpectedClaims } from './auth/reasons.js';
export type { TicketOptions } from './auth/tickets.js';
export {
  createHub,
  type HeraldHub,
  HUB_DEFAULTS,
  type HubOptions,
  type HubStats,
  type ListenOptions,
  openHub,
} from './create-hub.js';
export { DEFAULT_AUTH_COOKIE } from './http/cookies.js';
export { CORS_ALLOWED_HEADERS, CorsConfigError } from './http/cors.js';
export type { FetchHandler, FetchInfo } from './http/fetch-adapter.js';
export type { HubLogger } from './http/http-counters.js';
export type { NodeHandler, NodeRequest, NodeResponse } from './http/node-adapter.js';
export type { ServerTimeouts, TlsFiles } from './http/server.js';
export type { StaticAsset } from './http/static-assets.js';
export { TrustedProxyError } from './http/trusted-proxies.js';
export type { Authorizer, Credential, CredentialSource, Grant, IssuedTicket } from './hub/authorizer.js';
export type { PublishInput } from './hub/event-rules.js';
export { DEFAULT_LIMITS, type Limits } from './hub/limits.js';
export type { HubRecord, SubscriptionCounts } from './hub/presence.js';
export { HeraldError, type RefusalCode } from './hub/refusal.js';
export { MONITOR_SELECTOR } from './hub/subscriber-admission.js';
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
export { RedisLog, type RedisLogOptions } from './log/redis/redis-log.js';
export { SqliteLog, type SqliteLogOptions, type SqliteSynchronous } from './log/sqlite.js';
export type { Monitor, MonitorOptions } from './monitor/monitor.js';
