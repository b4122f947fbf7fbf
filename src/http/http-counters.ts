/** What the HTTP layer counts (the hub counts streams and events). */
export interface HttpCounters {
  /** Requests routed. */
  requests: number;
  /** Requests whose client went away before the request was read (aborted uploads). */
  aborted: number;
  /** Malformed requests answered before routing (bad syntax, headers too large, timeouts). */
  clientErrors: number;
  /** Refused requests whose unread body made the hub close the connection instead of reading it. */
  closedUnread: number;
}

export function newHttpCounters(): HttpCounters {
  return { requests: 0, aborted: 0, clientErrors: 0, closedUnread: 0 };
}

/**
 * Where the hub reports: pino-compatible (`logger.debug(obj, msg)`); error and debug suffice, warn
 * and info are used when present (key set refreshes), else error and debug stand in.
 */
export interface HubLogger {
  error(object: object, message: string): void;
  debug(object: object, message: string): void;
  warn?(object: object, message: string): void;
  info?(object: object, message: string): void;
}

export const CONSOLE_LOGGER: HubLogger = {
  error: (object, message) => console.error('herald:', message, object),
  debug: () => {},
};
