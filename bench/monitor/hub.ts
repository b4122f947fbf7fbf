// The hub under test, in its own process: monitor on or off (argv[2]). Answers 'measure' messages
// with its own CPU time (process.cpuUsage) over the window asked for.
// Herald itself is the built package of this checkout (main.ts builds it when it is out of date).
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type * as Herald from '../../src/index.js';
import { builtEntry } from '../built-package.js';

const { createHub } = (await import(
  builtEntry(fileURLToPath(new URL('../..', import.meta.url)))
)) as typeof Herald;

const monitor = process.argv[2] === 'on';
const capacity = Number(process.argv[3] ?? 20_000);
const hub = createHub({
  monitor: monitor ? {} : false,
  // Heartbeats off for the measurement: they cost the same in both modes and would add noise.
  heartbeatMs: 3_600_000,
  limits: { maxConnections: capacity, maxConnectionsPerClient: capacity },
});
const server = await hub.listen(0);
process.send?.({ port: (server.address() as AddressInfo).port });

process.on('message', async (message: { measure?: number; ticks?: number }) => {
  if (message.ticks !== undefined) {
    // The cost of one collector tick itself, with this hub's streams and topics: the hub's own
    // collector, ticked by hand, back to back.
    const collector = hub.monitor!.collector;
    await collector.tick();
    const cpu = process.cpuUsage();
    for (let i = 0; i < message.ticks; i++) await collector.tick();
    const used = process.cpuUsage(cpu);
    process.send?.({ tickMs: (used.user + used.system) / 1000 / message.ticks });
    return;
  }
  if (message.measure === undefined) return;
  const published = hub.stats().eventsPublished;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, message.measure));
  const used = process.cpuUsage(cpu);
  process.send?.({
    cpuMs: (used.user + used.system) / 1000,
    wallMs: performance.now() - start,
    connections: hub.stats().connections,
    published: hub.stats().eventsPublished - published,
    rss: process.memoryUsage().rss,
  });
});
process.on('disconnect', () => {
  hub.close().then(() => process.exit(0));
});
