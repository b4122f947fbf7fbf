export { type MintOptions, mintToken } from './auth/jwt.js';
export { createHub, type HeraldHub, HUB_DEFAULTS, type HubOptions } from './create-hub.js';
export type { PublishInput } from './hub/hub.js';
export { DEFAULT_LIMITS, type Limits } from './hub/limits.js';
export { HeraldError } from './hub/refusal.js';
export type { EventLog, NewEvent, ReadResult, StoredEvent } from './log/event-log.js';
export { MemoryLog, type MemoryLogOptions } from './log/memory.js';
