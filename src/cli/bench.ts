/**
 * `herald bench`: a load test from one machine. Opens N subscriber streams (bounded concurrency while
 * connecting), publishes R events/s with POST /publish for D seconds, each event carrying its sequence
 * number and send time, then prints what arrived: connected, delivered events/s, publish-to-receive
 * p50/p99, lost and duplicated (by sequence number, per subscriber), publish errors.
 * Every loop is bounded in count and in time; only loopback targets unless --allow-remote.
 */
import { randomBytes } from 'node:crypto';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isLoopback } from '../http/loopback.js';
import { createParser } from '../protocol/parse.js';
import { CliError, unreachable, usageError } from './errors.js';
import type { Args, CommandSpec } from './options.js';
import { DEFAULT_URL, httpUrl, hubUrl } from './shared.js';

const LIMITS = {
  subscribers: { min: 1, max: 50_000 },
  rate: { min: 1, max: 10_000 },
  durationSeconds: { min: 1, max: 3600 },
  connectConcurrency: { min: 1, max: 1000 },
};
/** Each subscriber keeps one bit per event to count losses and duplicates: at most 256 MiB in all. */
const MAX_TRACKED_BITS = 2 ** 31;
/** One connection attempt gets this long for its answer. */
const CONNECT_TIMEOUT_MS = 10_000;
/** The whole connect phase ends after this long, with whoever is connected by then. */
const CONNECT_PHASE_MS = 60_000;
/** One publish gets this long for its answer. */
const PUBLISH_TIMEOUT_MS = 10_000;
/** Publishes waiting for an answer at once; past it, the next ones wait (and show up as latency). */
const MAX_PUBLISHES_IN_FLIGHT = 256;
/** After the last publish, subscribers get this long to receive everything. */
const DRAIN_MS = 5_000;
/** Latency histogram: buckets of 0.05 ms up to 10 s (the last bucket holds everything above). */
const BUCKET_MS = 0.05;
const BUCKETS = 200_000;
/** Bytes of an error answer kept for the reason. */
const MAX_REASON_BYTES = 512;
/** A bench event is under 100 characters; a stream that sends a far larger one is cut. */
const MAX_EVENT_CHARS = 1 << 20;

export const BENCH: CommandSpec = {
  name: 'bench',
  args: '',
  summary: 'Load-test a hub from this machine: N subscribers, R events/s for D seconds, then a summary.',
  about:
    'Opens --subscribers streams to <url>events?topic=T, publishes --rate events per second to\n' +
    '<url>publish for --duration, each with a sequence number and its send time in the data, and prints\n' +
    'connected, delivered events/s, publish-to-receive p50/p99, events lost or duplicated (counted per\n' +
    'subscriber by sequence number) and publish errors. Any SSE server with a POST publish works: see\n' +
    '--stream-url and --publish-url. Only loopback addresses are driven unless --allow-remote is given.\n' +
    'A Herald hub admits 1,000 streams and 2,000 publishes/s per client address by default\n' +
    '(--max-connections-per-client, --max-publishes-per-second-per-client); one machine is one client.\n' +
    'A publish refused (401/403) stops the run at once with the reason; streams the hub sheds (over\n' +
    'its limits) are reported with the fix.\n' +
    'Exit 0 when every stream opened and every event was published and reached every subscriber\n' +
    'exactly once, else 1.',
  options: [
    {
      name: 'url',
      kind: 'value',
      value: 'URL',
      default: DEFAULT_URL,
      env: ['HERALD_URL'],
      description: 'where the hub is',
    },
    {
      name: 'subscribers',
      kind: 'value',
      value: 'N',
      default: 100,
      description: `streams to open, ${LIMITS.subscribers.min} to ${LIMITS.subscribers.max}`,
    },
    {
      name: 'rate',
      kind: 'value',
      value: 'R',
      default: 10,
      description: `events published per second, ${LIMITS.rate.min} to ${LIMITS.rate.max}`,
    },
    {
      name: 'duration',
      kind: 'value',
      value: 'D',
      default: '10s',
      description: 'how long to publish: 30, 30s, 5m (1 s to 1 h)',
    },
    {
      name: 'token',
      kind: 'value',
      value: 'JWT',
      env: ['HERALD_TOKEN'],
      description: 'publisher token for the topic (the one herald serve prints will do)',
    },
    {
      name: 'topic',
      kind: 'value',
      value: 'TOPIC',
      default: 'bench/<random>',
      description: 'topic to subscribe and publish to',
    },
    {
      name: 'connect-concurrency',
      kind: 'value',
      value: 'N',
      default: 50,
      description: 'connection attempts in flight at once while opening the streams',
    },
    {
      name: 'stream-url',
      kind: 'value',
      value: 'URL',
      default: '<url>events?topic=<topic>',
      description: 'the event stream to open, for a server that is not Herald',
    },
    {
      name: 'publish-url',
      kind: 'value',
      value: 'URL',
      default: '<url>publish',
      description: 'where to POST topic=<topic>&data=<json> (form-encoded)',
    },
    {
      name: 'allow-remote',
      kind: 'flag',
      description: 'drive a server that is not on this machine (only one you are allowed to load-test)',
    },
    { name: 'json', kind: 'flag', description: 'print the summary as one JSON object' },
  ],
  examples: [
    'herald bench --subscribers 1000 --rate 20 --duration 30s',
    'herald bench --url http://127.0.0.1:8080 --token $HERALD_TOKEN --subscribers 200 --rate 100',
  ],
};

interface BenchConfig {
  streamUrl: URL;
  publishUrl: URL;
  topic: string;
  subscribers: number;
  rate: number;
  durationSeconds: number;
  connectConcurrency: number;
  token: string | undefined;
  json: boolean;
}

function readConfig(args: Args): BenchConfig {
  if (args.positionals.length > 0) {
    throw usageError(
      `herald bench takes no arguments (got "${args.positionals[0]}"); see: herald bench --help`,
    );
  }
  const base = hubUrl(args);
  const topic = args.string('topic') ?? `bench/${randomBytes(4).toString('hex')}`;
  const stream = args.sourced('stream-url');
  const streamUrl = stream === undefined ? new URL('events', base) : httpUrl(stream.text, stream.from);
  if (stream === undefined) streamUrl.searchParams.set('topic', topic);
  const publish = args.sourced('publish-url');
  const publishUrl = publish === undefined ? new URL('publish', base) : httpUrl(publish.text, publish.from);
  if (!args.flag('allow-remote')) {
    for (const url of new Set([streamUrl.hostname, publishUrl.hostname])) {
      if (!isLoopback(url)) {
        throw usageError(
          `herald bench only drives servers on this machine (loopback), not ${url}: pass --allow-remote to load-test a server you are allowed to`,
        );
      }
    }
  }
  const subscribers = args.integer('subscribers', LIMITS.subscribers) ?? 100;
  const rate = args.integer('rate', LIMITS.rate) ?? 10;
  const durationText = args.sourced('duration') ?? { text: '10s', from: '--duration' };
  let durationSeconds: number;
  try {
    durationSeconds = parseSeconds(durationText.text);
  } catch (error) {
    throw usageError(`${durationText.from}: ${(error as Error).message}`);
  }
  const { min, max } = LIMITS.durationSeconds;
  if (durationSeconds < min || durationSeconds > max) {
    throw usageError(
      `${durationText.from} must be from ${min} s to ${max / 60} min (got "${durationText.text}")`,
    );
  }
  if (subscribers * rate * durationSeconds > MAX_TRACKED_BITS) {
    throw usageError(
      `--subscribers x --rate x --duration is ${subscribers * rate * durationSeconds} deliveries to track; at most ${MAX_TRACKED_BITS} (lower one of them)`,
    );
  }
  return {
    streamUrl,
    publishUrl,
    topic,
    subscribers,
    rate,
    durationSeconds,
    connectConcurrency: args.integer('connect-concurrency', LIMITS.connectConcurrency) ?? 50,
    token: args.string('token'),
    json: args.flag('json'),
  };
}

/** `30`, `30s`, `5m`, `1h` -> seconds. */
function parseSeconds(text: string): number {
  const match = /^(\d{1,6})\s*([smh]?)$/.exec(text.trim());
  if (!match) throw new RangeError(`"${text}" is not a duration (examples: 30, 30s, 5m)`);
  return Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600 }[match[2] as '' | 's' | 'm' | 'h'];
}

const now = (): number => performance.timeOrigin + performance.now();

/** Publish-to-receive times in fixed buckets: bounded memory whatever the number of deliveries. */
class Latencies {
  readonly #buckets = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;

  add(ms: number): void {
    const bucket = Math.min(BUCKETS - 1, Math.max(0, Math.floor(ms / BUCKET_MS)));
    this.#buckets[bucket]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** The upper edge of the bucket holding the q-th quantile, in ms (0 without samples). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#buckets[i]!;
      if (seen >= rank) return Math.min(this.max, (i + 1) * BUCKET_MS);
    }
    return this.max;
  }
}

/** `shed`: the hub answered 200 with only a comment (its reason) and `retry:`, then ended the stream. */
type SubscriberState = 'connecting' | 'open' | 'failed' | 'ended' | 'shed';

class Subscriber {
  state: SubscriberState = 'connecting';
  request: ClientRequest | undefined;
  /** Events of any kind the stream carried, and its last comment: a shed stream has none and one. */
  events = 0;
  comment: string | undefined;
  received = 0;
  duplicates = 0;
  /** One bit per sequence number. */
  readonly seen: Uint8Array;

  constructor(events: number) {
    this.seen = new Uint8Array(Math.ceil(events / 8));
  }

  /** Records a sequence number; false when it had been seen already. */
  mark(seq: number): boolean {
    const byte = seq >> 3;
    const bit = 1 << (seq & 7);
    if ((this.seen[byte]! & bit) !== 0) {
      this.duplicates++;
      return false;
    }
    this.seen[byte]! |= bit;
    this.received++;
    return true;
  }

  /** How many of the sequence numbers set in `expected` (a bitset of the same size) were not seen. */
  missing(expected: Uint8Array): number {
    let count = 0;
    for (let i = 0; i < expected.length; i++) {
      let bits = expected[i]! & ~this.seen[i]!;
      while (bits !== 0) {
        bits &= bits - 1;
        count++;
      }
    }
    return count;
  }

  close(): void {
    this.request?.destroy();
  }
}

/** A run's numbers, as printed. */
export interface BenchSummary {
  subscribers: number;
  connected: number;
  failedToConnect: number;
  dropped: number;
  /** Streams the hub shed at once (over its per-client or connection limit). */
  shed: number;
  published: number;
  publishErrors: number;
  /** Events not sent: publishing was stopped (Ctrl-C), or fell too far behind the rate. */
  notSent: number;
  publishedPerSecond: number;
  deliveries: number;
  deliveredPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  lost: number;
  duplicated: number;
  firstErrors: { connect?: string; publish?: string; stream?: string; shed?: string };
}

interface ProgressStatus {
  phase: string;
  done: number;
  total: number;
  detail: string;
}

/** Shows what the run is doing on stderr: a bar redrawn in place on a terminal, else a line every few seconds. */
class Progress {
  readonly #tty = process.stderr.isTTY === true;
  readonly #timer: NodeJS.Timeout;
  #lastLine = 0;
  #status: () => ProgressStatus = () => ({ phase: '', done: 0, total: 1, detail: '' });

  constructor() {
    this.#timer = setInterval(() => this.#draw(), this.#tty ? 100 : 1000);
    this.#timer.unref();
  }

  show(status: () => ProgressStatus): void {
    this.#status = status;
    this.#draw();
  }

  #draw(): void {
    const { phase, done, total, detail } = this.#status();
    if (phase === '') return;
    if (this.#tty) {
      const width = 24;
      const filled = Math.max(0, Math.min(width, Math.round((done / total) * width)));
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
      process.stderr.write(`\r\x1b[K${phase.padEnd(11)}${bar} ${detail}`);
    } else if (Date.now() - this.#lastLine >= 5000) {
      this.#lastLine = Date.now();
      process.stderr.write(`herald bench: ${phase} ${detail}\n`);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    if (this.#tty) process.stderr.write('\r\x1b[K');
  }
}

/** First line of an error answer, at most MAX_REASON_BYTES. */
function readReason(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      text += chunk;
      if (text.length >= MAX_REASON_BYTES) response.destroy();
    });
    const done = () => resolve(text.slice(0, MAX_REASON_BYTES).trim().split('\n')[0] ?? '');
    response.on('end', done);
    response.on('close', done);
    response.on('error', done);
  });
}

function errorReason(error: unknown, url: URL): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'EMFILE' || code === 'ENFILE') return 'too many open files: raise the limit (ulimit -n)';
  if (code === 'EADDRNOTAVAIL') return 'no local ports left for more connections';
  return unreachable(error, url).message;
}

export async function bench(args: Args): Promise<number> {
  const config = readConfig(args);
  const run = randomBytes(4).toString('hex');
  const total = config.rate * config.durationSeconds;
  const latencies = new Latencies();
  let lastDeliveryAt = 0;
  const subscribers = Array.from({ length: config.subscribers }, () => new Subscriber(total));
  const firstErrors: BenchSummary['firstErrors'] = {};
  const progress = new Progress();
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const send = config.streamUrl.protocol === 'https:' ? httpsRequest : httpRequest;
  const marker = `{"run":"${run}",`;

  /** Opens one stream; resolves once it is open or has failed. */
  const open = (subscriber: Subscriber): Promise<void> =>
    new Promise((resolve) => {
      const parser = createParser({
        maxEventSize: MAX_EVENT_CHARS,
        onComment: (comment) => {
          subscriber.comment = comment;
        },
        onEvent: (event) => {
          subscriber.events++;
          if (!event.data.startsWith(marker)) return;
          const receivedAt = now();
          let body: { seq?: unknown; t?: unknown };
          try {
            body = JSON.parse(event.data) as typeof body;
          } catch {
            return;
          }
          const { seq, t } = body;
          if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq >= total) return;
          if (!subscriber.mark(seq)) return;
          lastDeliveryAt = receivedAt;
          if (typeof t === 'number') latencies.add(receivedAt - t);
        },
      });
      let answered = false; // an error answer is being read: its reason, not the close, is the failure
      const fail = (reason: string): void => {
        if (subscriber.state === 'connecting') {
          subscriber.state = 'failed';
          firstErrors.connect ??= reason;
        } else if (
          subscriber.state === 'open' &&
          subscriber.events === 0 &&
          subscriber.comment !== undefined
        ) {
          subscriber.state = 'shed';
          firstErrors.shed ??= subscriber.comment;
        } else if (subscriber.state === 'open') {
          subscriber.state = 'ended';
          firstErrors.stream ??= reason;
        }
        clearTimeout(timer);
        subscriber.close();
        resolve();
      };
      const timer = setTimeout(
        () => fail(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`),
        CONNECT_TIMEOUT_MS,
      );
      const req = send(
        config.streamUrl,
        { headers: { accept: 'text/event-stream', 'cache-control': 'no-cache' }, agent: false },
        (response) => {
          const type = String(response.headers['content-type'] ?? '');
          if (response.statusCode !== 200 || !type.startsWith('text/event-stream')) {
            answered = true;
            readReason(response).then((reason) =>
              fail(
                `HTTP ${response.statusCode}${type.startsWith('text/event-stream') ? '' : ` (${type || 'no content type'})`}: ${reason}`,
              ),
            );
            return;
          }
          clearTimeout(timer);
          subscriber.state = 'open';
          response.on('data', (chunk: Buffer) => {
            try {
              parser.feed(chunk);
            } catch {
              fail(`the server sent an event over ${MAX_EVENT_CHARS} characters`);
            }
          });
          response.on('end', () => fail('the server ended the stream'));
          response.on('error', (error) => fail(errorReason(error, config.streamUrl)));
          resolve();
        },
      );
      subscriber.request = req;
      req.on('error', (error) => fail(errorReason(error, config.streamUrl)));
      req.on('close', () => {
        if (!answered) fail('the connection closed');
      });
      req.end();
    });

  try {
    // Connect: at most connectConcurrency attempts in flight, the whole phase bounded in time.
    let started = 0;
    let settled = 0;
    let connectTimedOut = false;
    const counts = () => {
      let connected = 0;
      for (const s of subscribers) if (s.state === 'open') connected++;
      return connected;
    };
    progress.show(() => ({
      phase: 'connecting',
      done: settled,
      total: config.subscribers,
      detail: `${counts()}/${config.subscribers} open`,
    }));
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        connectTimedOut = true;
        resolve();
      }, CONNECT_PHASE_MS);
      const next = (): void => {
        if (settled === config.subscribers || (stopping && settled === started)) {
          clearTimeout(deadline);
          resolve();
          return;
        }
        while (
          !stopping &&
          !connectTimedOut &&
          started < config.subscribers &&
          started - settled < config.connectConcurrency
        ) {
          const subscriber = subscribers[started++]!;
          open(subscriber).then(() => {
            settled++;
            next();
          });
        }
      };
      next();
    });
    if (connectTimedOut && counts() < config.subscribers) {
      firstErrors.connect ??= `not every stream opened within ${CONNECT_PHASE_MS / 1000} s`;
    }
    const connectedAtStart = subscribers.filter((s) => s.state === 'open');
    if (connectedAtStart.length === 0) {
      throw new CliError(
        `no subscriber could connect to ${config.streamUrl.href}: ${firstErrors.connect ?? 'stopped'}`,
      );
    }

    // Publish: event k is due at start + k / rate; at most MAX_PUBLISHES_IN_FLIGHT wait for an answer.
    const acked = new Uint8Array(Math.ceil(total / 8));
    let sent = 0;
    let published = 0;
    let publishErrors = 0;
    let inFlight = 0;
    /** The first 401/403: publishing stops, since every later publish would be refused the same. */
    let refusal: string | undefined;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (config.token !== undefined) headers.authorization = `Bearer ${config.token}`;
    const deliveries = () => subscribers.reduce((sum, s) => sum + s.received, 0);
    const publishOne = async (seq: number): Promise<void> => {
      inFlight++;
      const body = new URLSearchParams({
        topic: config.topic,
        data: `${marker}"seq":${seq},"t":${now()}}`,
      });
      try {
        const response = await fetch(config.publishUrl, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS),
        });
        const text = (await response.text()).slice(0, MAX_REASON_BYTES).trim().split('\n')[0] ?? '';
        if (response.status === 200) {
          acked[seq >> 3]! |= 1 << (seq & 7);
          published++;
        } else {
          publishErrors++;
          firstErrors.publish ??= `HTTP ${response.status}: ${text}`;
          if (response.status === 401 || response.status === 403) refusal ??= firstErrors.publish;
        }
      } catch (error) {
        publishErrors++;
        firstErrors.publish ??= errorReason(error, config.publishUrl);
      } finally {
        inFlight--;
      }
    };
    const startedAt = now();
    progress.show(() => ({
      phase: 'running',
      done: Math.min(now() - startedAt, config.durationSeconds * 1000),
      total: config.durationSeconds * 1000,
      detail: `${((now() - startedAt) / 1000).toFixed(1)}/${config.durationSeconds} s, sent ${sent}, received ${deliveries()}, errors ${publishErrors}`,
    }));
    const pending = new Set<Promise<void>>();
    await new Promise<void>((resolve) => {
      const tick = setInterval(
        () => {
          const due = Math.min(total, Math.floor(((now() - startedAt) * config.rate) / 1000) + 1);
          while (!stopping && refusal === undefined && sent < due && inFlight < MAX_PUBLISHES_IN_FLIGHT) {
            const p = publishOne(sent++);
            pending.add(p);
            p.then(() => pending.delete(p));
          }
          // Past the duration plus one publish timeout, what is left is not sent (a server that answers
          // too slowly for the rate keeps every slot busy).
          const late = now() - startedAt > config.durationSeconds * 1000 + PUBLISH_TIMEOUT_MS;
          if (sent >= total || stopping || refusal !== undefined || late) {
            clearInterval(tick);
            resolve();
          }
        },
        Math.max(1, Math.min(20, 1000 / config.rate)),
      );
    });
    await Promise.all(pending); // each one ends within PUBLISH_TIMEOUT_MS
    if (refusal !== undefined) {
      throw new CliError(`the hub refused the publish to ${config.publishUrl.href}: ${refusal}`, {
        hint: 'pass a publisher token for the topic with --token or HERALD_TOKEN',
      });
    }
    const publishedIn = (now() - startedAt) / 1000;

    // Drain: give the streams a bounded time to receive every acknowledged event.
    const complete = () => connectedAtStart.every((s) => s.state !== 'open' || s.received >= published);
    const drainEnd = Date.now() + DRAIN_MS;
    progress.show(() => ({
      phase: 'draining',
      done: deliveries(),
      total: Math.max(1, published * connectedAtStart.length),
      detail: `received ${deliveries()} of ${published * connectedAtStart.length}`,
    }));
    while (!complete() && Date.now() < drainEnd) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const window = Math.max(publishedIn, (lastDeliveryAt - startedAt) / 1000);

    // Count, per subscriber that was open when publishing began, what it missed and what came twice.
    let lost = 0;
    let duplicated = 0;
    for (const subscriber of connectedAtStart) {
      duplicated += subscriber.duplicates;
      lost += subscriber.missing(acked);
    }
    const summary: BenchSummary = {
      subscribers: config.subscribers,
      connected: connectedAtStart.length,
      failedToConnect: subscribers.filter((s) => s.state === 'failed').length,
      dropped: connectedAtStart.filter((s) => s.state === 'ended').length,
      shed: subscribers.filter((s) => s.state === 'shed').length,
      published,
      publishErrors,
      notSent: total - sent,
      publishedPerSecond: round(published / publishedIn),
      deliveries: deliveries(),
      deliveredPerSecond: round(deliveries() / window),
      latencyMs: {
        p50: round(latencies.quantile(0.5)),
        p99: round(latencies.quantile(0.99)),
        max: round(latencies.max),
      },
      lost,
      duplicated,
      firstErrors,
    };
    progress.stop();
    process.stdout.write(config.json ? `${JSON.stringify(summary)}\n` : table(summary, config));
    if (summary.shed > 0) process.stderr.write(`herald bench: ${shedReport(summary)}\n`);
    const clean =
      lost === 0 && duplicated === 0 && publishErrors === 0 && sent === total && summary.shed === 0;
    return clean ? 0 : 1;
  } finally {
    progress.stop();
    for (const subscriber of subscribers) subscriber.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;
const number = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;

/** Why streams were shed and what to do: a run from one machine is one client to the hub. */
function shedReport(s: BenchSummary): string {
  const head = `${number(s.shed)} of ${number(s.subscribers)} streams were shed`;
  const perClient = /maxConnectionsPerClient (\d+)/.exec(s.firstErrors.shed ?? '');
  if (perClient !== null) {
    return `${head}: the hub's per-client limit is ${number(Number(perClient[1]))} streams and this machine is one client; run with fewer --subscribers, or start the hub with a higher --max-connections-per-client`;
  }
  return `${head}: ${s.firstErrors.shed}`;
}

function table(s: BenchSummary, config: BenchConfig): string {
  const rows: [string, string][] = [
    ['connected', `${number(s.connected)} of ${number(s.subscribers)}`],
    ['published', `${number(s.published)} events, ${s.publishedPerSecond.toFixed(1)}/s`],
    ['publish errors', number(s.publishErrors)],
    ['not sent', number(s.notSent)],
    ['delivered', `${number(s.deliveries)} events, ${number(s.deliveredPerSecond)}/s`],
    [
      'publish to receive',
      s.deliveries === 0
        ? 'nothing received'
        : `p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)}`,
    ],
    ['lost', number(s.lost)],
    ['duplicated', number(s.duplicated)],
    ['streams dropped', number(s.dropped)],
    ['streams shed', number(s.shed)],
  ];
  const lines = [
    `herald bench: ${number(s.subscribers)} subscribers, ${number(config.rate)} events/s for ${config.durationSeconds} s`,
    `  stream  ${config.streamUrl.href}`,
    `  publish ${config.publishUrl.href}`,
    '',
    ...rows.map(([name, value]) => `  ${name.padEnd(20)}${value}`),
  ];
  const errors = Object.entries(s.firstErrors);
  if (errors.length > 0) {
    lines.push('', ...errors.map(([kind, reason]) => `  first ${kind} error: ${reason}`));
  }
  return `${lines.join('\n')}\n`;
}
