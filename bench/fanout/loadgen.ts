// The load generator: opens SSE subscribers over raw TCP sockets on loopback, counts the events they
// receive (by their blank-line separators, without parsing), reads the send time embedded in the data
// for a sample of them, and can publish over POST /publish at a fixed rate. Driven over IPC.
import { Agent, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { fdLimit, type Request, serveRequests } from './ipc.js';
import { eventData, nowUs } from './payload.js';
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
  latency: LatencySummary;
}

interface Subscriber {
  socket: Socket;
  received: number;
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
    const sub: Subscriber = { socket, received: 0, lastByteLF: false, tail: sampled ? '' : undefined };
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
  const group = groups.get(name) ?? new Group();
  groups.set(name, group);
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await openOne(
        group,
        request.port as number,
        '/events?topic=bench',
        sampleEvery > 0 && i % sampleEvery === 0,
      );
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

// POST /publish at a fixed rate, one request at a time on one kept-alive connection.
interface Poster {
  timer: NodeJS.Timeout | undefined;
  sent: number;
  failed: number;
  inFlight: number;
}
let poster: Poster | undefined;

function startPosting(request: Request): void {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const size = request.size as number;
  const padding = 'x'.repeat(size);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (typeof request.token === 'string') headers.authorization = `Bearer ${request.token}`;
  const state: Poster = { timer: undefined, sent: 0, failed: 0, inFlight: 0 };
  poster = state;
  let seq = 0;
  const post = (): void => {
    const body = new URLSearchParams({ topic: 'bench', data: eventData(++seq, size, padding) }).toString();
    state.inFlight++;
    const req = httpRequest(
      { host: HOST, port: request.port as number, method: 'POST', path: '/publish', agent, headers },
      (res) => {
        if (res.statusCode === 200) state.sent++;
        else state.failed++;
        res.resume();
        res.on('end', () => state.inFlight--);
      },
    );
    req.on('error', () => {
      state.failed++;
      state.inFlight--;
    });
    req.end(body);
  };
  const periodNs = BigInt(Math.round(1e9 / (request.rate as number)));
  let next = process.hrtime.bigint() + periodNs;
  const tick = (): void => {
    const now = process.hrtime.bigint();
    while (now >= next) {
      post();
      next += periodNs;
    }
    state.timer = setTimeout(tick, Math.max(0, Number(next - process.hrtime.bigint()) / 1e6));
  };
  state.timer = setTimeout(tick, Number(periodNs) / 1e6);
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
        latency: summarize(group.latenciesUs),
      } satisfies ClientWindow;
    }
    case 'post-start':
      startPosting(request);
      return true;
    case 'post-stop': {
      const state = poster;
      if (state === undefined) return { sent: 0, failed: 0 };
      clearTimeout(state.timer);
      while (state.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      poster = undefined;
      return { sent: state.sent, failed: state.failed };
    }
    default:
      throw new Error(`unknown op ${request.op}`);
  }
});
process.send?.({ ready: true, port: 0, fdLimit: fdLimit() });
