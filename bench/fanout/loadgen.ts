// The load generator: opens SSE subscribers over raw TCP sockets on loopback, counts the events they
// receive (by their blank-line separators, without parsing: the same count for every server, whatever
// its framing), reads the send time embedded in the data for a sample of them, and publishes over
// POST /publish (publisher.ts) at a fixed rate or as fast as the server acknowledges. Driven over IPC.
import { connect, type Socket } from 'node:net';
import { fdLimit, type Request, serveRequests } from './ipc.js';
import { nowUs } from './payload.js';
import { Publisher, type PublishTarget } from './publisher.js';
import { percentile } from './stats.js';

const HOST = '127.0.0.1';
const SEPARATOR = Buffer.from('\n\n');
const LF = 0x0a;
/** Connections being opened at once. */
const OPENING = 200;

/** Latency figures of one window, in milliseconds. */
export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

/** The answer to `window-end`. */
export interface ClientWindow {
  /** Events received by all subscribers of the group in the window. */
  received: number;
  /** Fewest and most events one subscriber received in the window. */
  minPerSubscriber: number;
  maxPerSubscriber: number;
  elapsedMs: number;
  /** CPU of the load generator over the window (us): it shares the machine with the server. */
  cpuUs: number;
  /** Socket reads (data callbacks) in the window: events / reads says how many arrive together. */
  reads: number;
  /** Publishes the server acknowledged in the window (NaN, null over IPC, when none were sent over HTTP). */
  acked: number;
  latency: LatencySummary;
}

interface Subscriber {
  socket: Socket;
  /** Events received in the current window. */
  received: number;
  /** Events received since it connected (the saturation publisher's flow control reads it). */
  total: number;
  lastByteLF: boolean;
  /** Sampled subscribers keep the text after their last complete event here. */
  tail: string | undefined;
}

class Group {
  readonly subscribers: Subscriber[] = [];
  received = 0;
  reads = 0;
  recording = false;
  latenciesUs: number[] = [];
  startedAt = process.hrtime.bigint();
  cpuAtStart = process.cpuUsage();
  ackedAtStart = 0;
}

const groups = new Map<string, Group>();

function groupOf(name: unknown): Group {
  const group = groups.get(name as string);
  if (group === undefined) throw new Error(`no group ${String(name)}`);
  return group;
}

function countSeparators(chunk: Buffer, sub: Subscriber): number {
  let n = sub.lastByteLF && chunk[0] === LF ? 1 : 0;
  let at = chunk.indexOf(SEPARATOR);
  while (at !== -1) {
    n++;
    at = chunk.indexOf(SEPARATOR, at + 2);
  }
  sub.lastByteLF = chunk[chunk.length - 1] === LF;
  return n;
}

/** Reads `data: <send time us> ...` of every complete event in a sampled subscriber's text. */
function sampleLatencies(chunk: Buffer, sub: Subscriber, group: Group, receivedAt: number): void {
  const text = sub.tail + chunk.toString('latin1');
  const end = text.lastIndexOf('\n\n');
  if (end === -1) {
    sub.tail = text;
    return;
  }
  sub.tail = text.slice(end + 2);
  if (!group.recording) return;
  let at = text.indexOf('data: ');
  while (at !== -1 && at < end) {
    const space = text.indexOf(' ', at + 6);
    const sentAt = Number(text.slice(at + 6, space));
    if (Number.isFinite(sentAt)) group.latenciesUs.push(receivedAt - sentAt);
    at = text.indexOf('data: ', space);
  }
}

function openOne(group: Group, port: number, path: string, sampled: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    const sub: Subscriber = {
      socket,
      received: 0,
      total: 0,
      lastByteLF: false,
      tail: sampled ? '' : undefined,
    };
    let open = false;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${HOST}:${port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (!open) {
        if (!chunk.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 200')) {
          socket.destroy();
          reject(new Error(`subscribe refused: ${chunk.subarray(0, 200).toString('latin1')}`));
          return;
        }
        open = true;
        group.subscribers.push(sub);
        resolve();
      }
      group.reads++;
      const n = countSeparators(chunk, sub);
      sub.received += n;
      sub.total += n;
      group.received += n;
      if (sub.tail !== undefined) sampleLatencies(chunk, sub, group, nowUs());
    });
    socket.on('error', (error) => {
      if (!open) reject(error);
    });
  });
}

async function openGroup(request: Request): Promise<{ opened: number; ms: number }> {
  const name = request.group as string;
  const count = request.count as number;
  const sampleEvery = request.sampleEvery as number;
  const path = `/events?topic=${encodeURIComponent((request.topic as string | undefined) ?? 'bench')}`;
  const group = groups.get(name) ?? new Group();
  groups.set(name, group);
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await openOne(group, request.port as number, path, sampleEvery > 0 && i % sampleEvery === 0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPENING, count) }, worker));
  return { opened: group.subscribers.length, ms: performance.now() - started };
}

function summarize(latenciesUs: number[]): LatencySummary {
  const sorted = Float64Array.from(latenciesUs).sort();
  return {
    samples: sorted.length,
    p50: percentile(sorted, 0.5) / 1000,
    p99: percentile(sorted, 0.99) / 1000,
    max: (sorted[sorted.length - 1] ?? Number.NaN) / 1000,
  };
}

// POST /publish: at most one publisher at a time.
let publisher: Publisher | undefined;

/**
 * Whether the subscribers of `group` are close enough behind the publisher: the one furthest behind
 * has received all but `maxLag` of the events published since it started (the flow control of the
 * saturation scenarios, so that no server has to buffer without bound). The slowest subscriber's
 * count is looked up again only when the last one found is no longer enough.
 */
function lagBound(group: Group, maxLag: number, pub: () => number): () => boolean {
  const marks = group.subscribers.map((sub) => sub.total);
  let floor = 0;
  const slowest = (): number => {
    let min = Number.POSITIVE_INFINITY;
    group.subscribers.forEach((sub, i) => {
      min = Math.min(min, sub.total - (marks[i] ?? 0));
    });
    return min === Number.POSITIVE_INFINITY ? 0 : min;
  };
  return () => {
    if (pub() - floor < maxLag) return true;
    floor = slowest();
    return pub() - floor < maxLag;
  };
}

function startPublisher(request: Request): void {
  if (publisher !== undefined) throw new Error('a publisher is already running');
  const target = request.target as PublishTarget;
  const pub = new Publisher(target, request.connections as number, request.depth as number);
  publisher = pub;
  if (request.mode === 'rate') pub.startRate(request.rate as number);
  else pub.startSaturation(lagBound(groupOf(request.group), request.maxLag as number, () => pub.sent));
}

serveRequests(async (request) => {
  switch (request.op) {
    case 'open':
      return openGroup(request);
    case 'close': {
      const group = groupOf(request.group);
      for (const sub of group.subscribers) sub.socket.destroy();
      groups.delete(request.group as string);
      return true;
    }
    case 'total':
      return groupOf(request.group).received;
    case 'window-start': {
      const group = groupOf(request.group);
      group.received = 0;
      group.reads = 0;
      group.latenciesUs = [];
      for (const sub of group.subscribers) sub.received = 0;
      group.recording = true;
      group.startedAt = process.hrtime.bigint();
      group.cpuAtStart = process.cpuUsage();
      group.ackedAtStart = publisher?.stats.acked ?? 0;
      return true;
    }
    case 'window-end': {
      const group = groupOf(request.group);
      group.recording = false;
      const cpu = process.cpuUsage(group.cpuAtStart);
      let min = Number.POSITIVE_INFINITY;
      let max = 0;
      for (const sub of group.subscribers) {
        min = Math.min(min, sub.received);
        max = Math.max(max, sub.received);
      }
      return {
        received: group.received,
        minPerSubscriber: min,
        maxPerSubscriber: max,
        elapsedMs: Number(process.hrtime.bigint() - group.startedAt) / 1e6,
        cpuUs: cpu.user + cpu.system,
        reads: group.reads,
        acked: publisher === undefined ? Number.NaN : publisher.stats.acked - group.ackedAtStart,
        latency: summarize(group.latenciesUs),
      } satisfies ClientWindow;
    }
    case 'post-start':
      startPublisher(request);
      return true;
    case 'post-stop': {
      const pub = publisher;
      publisher = undefined;
      return pub === undefined ? undefined : await pub.stop();
    }
    case 'trim': {
      // Closes the subscribers of a group beyond the first `count`.
      const group = groupOf(request.group);
      const extra = group.subscribers.splice(request.count as number);
      for (const sub of extra) sub.socket.destroy();
      return extra.length;
    }
    default:
      throw new Error(`unknown op ${request.op}`);
  }
});
process.send?.({ ready: true, port: 0, fdLimit: fdLimit() });
