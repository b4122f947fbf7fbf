import { Counter, Gauge, Registry } from 'prom-client';
import type { Hub } from '../hub/hub.js';
import type { HttpCounters } from './http-counters.js';

/**
 * Prometheus metrics for one hub. Values are read from the hub's plain counters at scrape time,
 * so the hot path bumps integers and never touches prom-client.
 */
export function createMetrics(hub: Hub, http: HttpCounters, tokenVerifications: () => number): Registry {
  const registry = new Registry();
  const c = hub.counters;
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('herald_connections', 'Open event streams', () => hub.connections);
  counter('herald_connections_opened_total', 'Event streams opened', () => c.connectionsOpened);
  counter('herald_connections_closed_total', 'Event streams closed', () => c.connectionsClosed);
  counter(
    'herald_connections_shed_total',
    'Subscribers turned away by load shedding',
    () => c.connectionsShed,
  );
  counter('herald_http_requests_total', 'HTTP requests served', () => http.requests);
  counter(
    'herald_http_requests_aborted_total',
    'Requests whose client went away before they were read',
    () => http.aborted,
  );
  counter(
    'herald_http_client_errors_total',
    'Malformed requests refused before routing',
    () => http.clientErrors,
  );
  counter(
    'herald_http_closed_unread_total',
    'Refused requests closed instead of reading their body',
    () => http.closedUnread,
  );
  counter(
    'herald_publish_auth_failures_total',
    'Publish attempts with a missing or bad token',
    () => c.publishAuthFailures,
  );
  counter(
    'herald_token_verifications_total',
    'Tokens checked against a key (repeats of a recent token, valid or not, are answered from memory)',
    tokenVerifications,
  );
  counter(
    'herald_credential_expiries_total',
    'Streams ended because their credential expired',
    () => c.credentialExpiries,
  );
  counter(
    'herald_revoked_streams_total',
    'Streams ended because their token was revoked',
    () => c.revokedStreams,
  );
  gauge('herald_revocations', 'Revoked subjects and token ids kept', () => hub.revocationCount);
  counter(
    'herald_events_published_total',
    'Application events appended to the log (system snapshots apart)',
    () => c.eventsPublished,
  );
  counter(
    'herald_system_events_published_total',
    "Live snapshots published to system topics ($SYS/, the monitor's), never stored",
    () => c.systemEventsPublished,
  );
  gauge('herald_store_up', 'Whether the event store answers (1) or is unavailable (0)', () =>
    hub.storeHealth.up ? 1 : 0,
  );
  counter(
    'herald_events_delivered_total',
    'Event deliveries written to subscribers',
    () => c.eventsDelivered,
  );
  counter('herald_bytes_out_total', 'Bytes written to event streams', () => c.bytesOut);
  counter(
    'herald_slow_consumer_disconnects_total',
    'Subscribers disconnected for falling too far behind',
    () => c.slowConsumerDisconnects,
  );
  gauge('herald_history_events', 'Events retained for replay', () => hub.historySize().events);
  gauge('herald_history_bytes', 'Bytes retained for replay', () => hub.historySize().bytes);
  gauge('herald_uptime_seconds', 'Seconds since the hub started', () => (Date.now() - c.startedAt) / 1000);
  return registry;
}
