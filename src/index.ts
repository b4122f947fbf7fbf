export { type MintOptions, mintToken } from './auth/jwt.js';
export {
  createHub,
  type HeraldHub,
  HUB_DEFAULTS,
  type HubOptions,
  type HubStats,
  type ListenOptions,
} from './create-hub.js';
export type { FetchHandler, FetchInfo } from './http/fetch-adapter.js';
export type { HubLogger } from './http/http-counters.js';
export type { NodeHandler, NodeRequest, NodeResponse } from './http/node-adapter.js';
export type { ServerTimeouts, TlsFiles } from './http/server.js';
export type { StaticAsset } from './http/static-assets.js';
export type { Authorizer, Credential, CredentialSource, Grant } from './hub/authorizer.js';
export type { PublishInput } from './hub/event-rules.js';
export { DEFAULT_LIMITS, type Limits } from './hub/limits.js';
export { HeraldError, type RefusalCode } from './hub/refusal.js';
export type { TopicSelector } from './hub/topic-selector.js';
export {
  type EventLog,
  LogUnavailableError,
  type NewEvent,
  type ReadResult,
  type Retention,
  type StoredEvent,
  type TailListener,
} from './log/event-log.js';
export { MemoryLog, type MemoryLogOptions } from './log/memory.js';
export type { Monitor, MonitorOptions } from './monitor/monitor.js';
