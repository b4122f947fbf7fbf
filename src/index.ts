// The library's public surface: the hub, its options and answers, authorization, and the event log
// a hub can be given. Everything else is internal and may change between releases.
export { KeySpecError } from './auth/create-authorizer.js';
export type { KeyOption } from './auth/hub-keys.js';
export { type MintOptions, mintToken } from './auth/jwt.js';
export {
  createHub,
  type HeraldHub,
  HUB_DEFAULTS,
  type HubOptions,
  type HubStats,
  type ListenOptions,
  openHub,
} from './create-hub.js';
export type { Authorizer, Credential, CredentialSource, Grant, IssuedTicket } from './hub/authorizer.js';
export type { BatchOptions, PublishedBatch } from './hub/event-batch.js';
export type { Published, PublishInput } from './hub/event-rules.js';
export type { HistoryAnswer, HistoryEvent, HistoryRequest } from './hub/history.js';
export { DEFAULT_LIMITS, type Limits } from './hub/limits.js';
export { type Advice, HeraldError, type RefusalCode } from './hub/refusal.js';
export type { Revocation, RevocationLimits } from './hub/revocations.js';
export {
  type AppendedBatch,
  type AppendedEvent,
  type AppendOptions,
  type EventLog,
  type IdempotencyRule,
  LogUnavailableError,
  type NewEvent,
  type ReadResult,
  type Retention,
  type StoredEvent,
  type TailListener,
} from './log/event-log.js';
export { openStore, STORE_URL_FORMS, StoreOpenError, StoreUrlError } from './log/open-store.js';
export type { MonitorOptions } from './monitor/monitor.js';
