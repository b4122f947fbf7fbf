// Herald under test: createHub + listen on 127.0.0.1:0, publishing in-process (hub.publish) when the
// orchestrator asks, or over POST /publish from the load generator (JWT key from the environment).
// Herald itself is the built package of this checkout (main.ts builds it when it is out of date).
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type * as Herald from '../../src/index.js';
import { builtEntry } from '../built-package.js';
import { runHarness } from './server-harness.js';

type HubOptions = Herald.HubOptions;
const { openHub } = (await import(
  builtEntry(fileURLToPath(new URL('../..', import.meta.url)))
)) as typeof Herald;

// With --custom: options (a store URL included) from `main.ts --herald-options='{"heartbeatMs":1000}'` (JSON), so that a
// run can compare Herald as it comes (server `herald`) with other settings (server `herald-custom`).
const extra = process.argv.includes('--custom')
  ? (JSON.parse(process.env.FANOUT_HERALD_OPTIONS ?? '{}') as HubOptions)
  : {};
// openHub, so that `--herald-options='{"store":"sqlite:/tmp/x.db"}'` (or a redis:// URL) compares stores.
const hub = await openHub({
  ...extra,
  jwtKey: process.env.FANOUT_JWT_KEY,
  // Every subscriber of the benchmark comes from 127.0.0.1, and its publisher publishes fast.
  limits: {
    maxConnections: 1_000_000,
    maxConnectionsPerClient: 1_000_000,
    maxPublishesPerSecondPerClient: 1e9,
  },
});
const server = await hub.listen(0, '127.0.0.1');

// Only for the saturation publisher's flow control (the harness reads each stream's backlog); left
// out with --idle, so that the idle-memory figure holds Herald's own per-connection state alone.
const streams = new Set<ServerResponse>();
if (!process.argv.includes('--idle')) {
  server.on('request', (req, res: ServerResponse) => {
    if (!req.url?.startsWith('/events')) return;
    streams.add(res);
    res.once('close', () => streams.delete(res));
  });
}

const onError = (error: unknown): void => console.error('herald publish failed:', error);
runHarness(
  {
    publish(data) {
      hub.publish({ topics: 'bench', data }).catch(onError);
    },
    connections: () => hub.stats().connections,
    streams: () => streams,
    published: () => hub.stats().eventsPublished,
    delivered: () => hub.stats().eventsDelivered,
    dropped: () => hub.stats().slowConsumerDisconnects,
  },
  (server.address() as AddressInfo).port,
);
