export { createHub, type HeraldHub, HUB_DEFAULTS, type HubOptions } from './create-hub.js';
export { type MintOptions, mintToken } from './hub/auth.js';
export { HeraldError } from './hub/errors.js';
export type { PublishInput } from './hub/hub.js';
export { DEFAULT_LIMITS, type Limits } from './hub/limits.js';
export type { EventLog, NewEvent, ReadResult, StoredEvent } from './log/event-log.js';
export { MemoryLog, type MemoryLogOptions } from './log/memory.js';
