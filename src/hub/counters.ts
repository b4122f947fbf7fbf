/** Plain counters, read by /metrics and the monitor; cheap to bump on the hot path. */
export interface HubCounters {
  startedAt: number;
  connectionsOpened: number;
  connectionsClosed: number;
  connectionsShed: number;
  /** Application events stored (system snapshots and the hub's own records apart). */
  eventsPublished: number;
  /** Live snapshots published to system topics (`$SYS/`, the monitor's), never stored. */
  systemEventsPublished: number;
  eventsDelivered: number;
  bytesOut: number;
  slowConsumerDisconnects: number;
  /** Streams ended because their credential expired. */
  credentialExpiries: number;
  /** Streams ended because their token was revoked. */
  revokedStreams: number;
  /** Publish attempts refused for a missing or bad credential. */
  publishAuthFailures: number;
}

export function newCounters(): HubCounters {
  return {
    startedAt: Date.now(),
    connectionsOpened: 0,
    connectionsClosed: 0,
    connectionsShed: 0,
    eventsPublished: 0,
    systemEventsPublished: 0,
    eventsDelivered: 0,
    bytesOut: 0,
    slowConsumerDisconnects: 0,
    credentialExpiries: 0,
    revokedStreams: 0,
    publishAuthFailures: 0,
  };
}
