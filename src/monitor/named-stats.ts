import type { Hub } from '../hub/hub.js';
import type { StatsSnapshot } from './snapshot.js';

/** The system topic of the stats as named events (what `GET /stats` streams). */
export const NAMED_STATS_TOPIC = '$SYS/stats/named';

/**
 * The seed article's server-monitor stream, derived from a snapshot: one event per figure, named as
 * the article's page listens for them (`connections`, `requests`, `uptime`) and a few more. Every
 * data is JSON text; the article's three are plain numbers.
 */
export function namedStats(snapshot: StatsSnapshot): Array<{ type: string; data: string }> {
  const events = [
    { type: 'connections', data: String(snapshot.connections.now) },
    { type: 'requests', data: String(snapshot.http.requests) },
    { type: 'uptime', data: String(snapshot.uptimeSeconds) },
    { type: 'load', data: JSON.stringify(snapshot.load) },
    {
      type: 'memory',
      data: JSON.stringify({
        rss: snapshot.memory.rss,
        heapUsed: snapshot.memory.heapUsed,
        systemUsed: snapshot.memory.systemUsed,
      }),
    },
    {
      type: 'events',
      data: JSON.stringify({
        publishedPerSecond: snapshot.events.publishedPerSecond,
        deliveredPerSecond: snapshot.events.deliveredPerSecond,
      }),
    },
  ];
  if (snapshot.top !== undefined) events.push({ type: 'processes', data: JSON.stringify(snapshot.top) });
  return events;
}

/** Publishes the named events of a snapshot, only while someone listens (they are live only). */
export async function publishNamedStats(hub: Hub, snapshot: StatsSnapshot): Promise<void> {
  if (!hub.hasSubscribers(NAMED_STATS_TOPIC)) return;
  for (const event of namedStats(snapshot)) await hub.publish({ topics: NAMED_STATS_TOPIC, ...event });
}
