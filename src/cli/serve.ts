/**
 * `herald serve`: runs the hub on node:http, logs with pino, stops gracefully on SIGTERM/SIGINT.
 * Secure by default: without a key it makes one for the run, prints a publisher token, and stays on
 * loopback.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keyBytes, mintToken } from '../auth/jwt.js';
import { createHub, type HeraldHub, HUB_DEFAULTS, type HubOptions } from '../create-hub.js';
import type { Limits } from '../hub/limits.js';
import type { EventLog } from '../log/event-log.js';
import {
  openStore,
  parseStoreUrl,
  STORE_URL_FORMS,
  StoreOpenError,
  StoreUrlError,
} from '../log/open-store.js';
import { reasonOf } from '../log/store-errors.js';
import { parseDuration } from './duration.js';
import { CliError, usageError } from './errors.js';
import { createLogger, isLogLevel, LOG_LEVELS } from './log.js';
import { type Args, type CommandSpec, kebab, type OptionSpec } from './options.js';
import { DEFAULT_URL } from './shared.js';

const DEFAULT_PORT = 8080;
const DEFAULT_HOST = '127.0.0.1';
/** The longest delay a Node.js timer takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A shutdown that takes this much longer than the drain timeout is cut short (exit 1). */
const SHUTDOWN_GRACE_MS = 5_000;
/** After the streams have drained, other connections get this long to finish before exit. */
const LINGER_MS = 1_000;

/** Help for each limit; the keys are checked against `Limits`, the defaults come from DEFAULT_LIMITS. */
const LIMIT_HELP: Record<keyof Limits, string> = {
  maxConnections: 'open event streams at once; past it new subscribers are shed',
  maxConnectionsPerClient: 'open event streams from one client address',
  maxTopicsPerSubscription: 'topic= parameters in one subscription',
  maxTopicsPerEvent: 'topics one event may be published to',
  maxEventBytes: 'bytes of data in one event',
  maxPublishBodyBytes: 'bytes of one publish request body',
  maxPublishesPerSecondPerClient: 'authenticated publish requests per second from one client address',
  maxAuthFailuresPerSecondPerClient:
    'publish attempts with a missing or bad token per second from one client address',
  maxUnsentBytesPerSession: 'unsent bytes a subscriber may fall behind before it is disconnected',
};
const LIMIT_NAMES = Object.keys(LIMIT_HELP) as (keyof Limits)[];

/** Timing options: flag name -> the HubOptions field and its help. */
const TIMINGS = [
  {
    name: 'retry',
    field: 'retryMs',
    min: 0,
    help: 'retry: (reconnection delay) sent to new subscribers, in ms',
  },
  {
    name: 'heartbeat',
    field: 'heartbeatMs',
    min: 1,
    help: 'a comment line goes to streams quiet this long, in ms',
  },
  {
    name: 'shed-retry',
    field: 'shedRetryMs',
    min: 0,
    help: 'base of the jittered retry: sent when shedding load or shutting down, in ms',
  },
  {
    name: 'drain-timeout',
    field: 'drainTimeoutMs',
    min: 0,
    help: 'on shutdown, streams get this long to send what is queued for them (and a retry:), in ms',
  },
  {
    name: 'poll-quiet',
    field: 'pollQuietMs',
    min: 0,
    help: 'long-poll: answer ends this long after a burst, in ms',
  },
  {
    name: 'presence-interval',
    field: 'presenceMs',
    min: 100,
    help: 'with a shared store, how often this hub heartbeats its subscriber counts and figures to the cluster, in ms (a hub silent for 3 of these drops out)',
  },
  {
    name: 'poll-timeout',
    field: 'pollTimeoutMs',
    min: 1,
    help: 'long-poll: answer ends after this long anyway, in ms',
  },
] as const;

export const SERVE: CommandSpec = {
  name: 'serve',
  args: '',
  summary: 'Run the hub: subscribe with GET /events?topic=..., publish with POST /publish.',
  about:
    'Without --jwt-key a random key is made for this run and a publisher token (for every topic) is\n' +
    'printed, with an `export HERALD_TOKEN=...` line on stderr to paste into another shell; the hub\n' +
    'then only listens on loopback. Logs are JSON lines on stdout (a short human line on a terminal).\n' +
    'SIGTERM or SIGINT ends every stream with a jittered retry: once what is queued for it is out\n' +
    '(at most --drain-timeout), then exits 0.',
  options: [
    {
      name: 'port',
      kind: 'value',
      value: 'N',
      default: DEFAULT_PORT,
      env: ['HERALD_PORT', 'PORT'],
      description: 'port to listen on (0: any free port)',
    },
    {
      name: 'host',
      kind: 'value',
      value: 'HOST',
      default: DEFAULT_HOST,
      env: ['HERALD_HOST'],
      description: 'address to listen on; other than loopback only with a key',
    },
    {
      name: 'jwt-key',
      kind: 'value',
      value: 'KEY',
      env: ['HERALD_JWT_KEY'],
      default: 'random, for this run only',
      description: 'HS256 key for publisher and subscriber tokens, at least 32 bytes',
    },
    {
      name: 'store',
      kind: 'value',
      value: 'URL',
      default: 'memory',
      env: ['HERALD_STORE'],
      description: `where events are kept for replay: ${STORE_URL_FORMS.join(' | ')}; hubs on one Redis stream are one cluster`,
    },
    {
      name: 'history-events',
      kind: 'value',
      value: 'N',
      default: HUB_DEFAULTS.history.maxEvents,
      description: 'events kept for replay to reconnecting clients',
    },
    {
      name: 'history-bytes',
      kind: 'value',
      value: 'N',
      default: HUB_DEFAULTS.history.maxBytes,
      bytes: true,
      description: 'bytes of events kept for replay',
    },
    {
      name: 'history-age',
      kind: 'value',
      value: 'DURATION',
      default: 'none',
      description:
        'events older than this are dropped from replay (30s, 15m, 24h, 7d); applies to every store',
    },
    ...LIMIT_NAMES.map(
      (limit): OptionSpec => ({
        name: kebab(limit),
        kind: 'value',
        value: 'N',
        default: HUB_DEFAULTS.limits[limit],
        bytes: limit.includes('Bytes'),
        description: LIMIT_HELP[limit],
      }),
    ),
    ...TIMINGS.map(
      (t): OptionSpec => ({
        name: t.name,
        kind: 'value',
        value: 'MS',
        default: HUB_DEFAULTS[t.field],
        description: t.help,
      }),
    ),
    {
      name: 'cors-origin',
      kind: 'value',
      value: 'ORIGIN',
      multiple: true,
      env: ['HERALD_CORS_ORIGINS'],
      default: 'none (CORS closed)',
      description: 'origin allowed by CORS, or * for any; the variable is comma-separated',
    },
    {
      name: 'log-level',
      kind: 'value',
      value: 'LEVEL',
      default: 'info',
      env: ['HERALD_LOG_LEVEL'],
      description: `one of ${LOG_LEVELS.join(', ')}`,
    },
  ],
  examples: [
    'herald serve',
    'herald serve --port 0 --log-level debug',
    'herald serve --store sqlite:./herald.db --history-age 24h',
    'herald serve --store redis://127.0.0.1:6379 --port 8081 --jwt-key "$HERALD_JWT_KEY"',
    'HERALD_JWT_KEY=$(openssl rand -base64 32) herald serve --host 0.0.0.0 --cors-origin https://example.com',
  ],
};

interface ServeConfig {
  port: number;
  host: string;
  /** Undefined: make one for this run. */
  jwtKey: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  /** The store URL, already checked by parseStoreUrl. */
  store: string;
  hub: HubOptions;
}

/** `--store` (or HERALD_STORE), checked: a malformed URL is a usage error (exit 2). */
function readStore(args: Args): string {
  const found = args.sourced('store');
  if (found === undefined) return 'memory';
  try {
    parseStoreUrl(found.text);
  } catch (error) {
    if (error instanceof StoreUrlError) throw usageError(`${found.from}: ${reasonOf(error)}`);
    throw error;
  }
  return found.text;
}

/** `--history-age` in ms, or undefined for no bound by age. */
function readHistoryAge(args: Args): number | undefined {
  const text = args.string('history-age');
  if (text === undefined || text === 'none') return undefined;
  try {
    const seconds = parseDuration(text);
    if (seconds < 1) throw new RangeError('it must be at least 1 s');
    return seconds * 1000;
  } catch (error) {
    throw usageError(`--history-age: ${reasonOf(error)} (got "${text}")`);
  }
}

/** Is `host` a loopback address (reachable from this machine only)? */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1'
  );
}

/** Reads and checks every option; throws a usage error (exit 2) naming the first bad one. */
function readConfig(args: Args): ServeConfig {
  if (args.positionals.length > 0) {
    throw usageError(
      `herald serve takes no arguments (got "${args.positionals[0]}"); see: herald serve --help`,
    );
  }
  const port = args.integer('port', { min: 0, max: 65535 }) ?? DEFAULT_PORT;
  const host = args.string('host') ?? DEFAULT_HOST;
  const key = args.sourced('jwt-key');
  if (key !== undefined) {
    const length = Buffer.byteLength(key.text);
    if (length < 32)
      throw usageError(`${key.from} must be at least 32 bytes (got ${length}); try: openssl rand -base64 32`);
  }
  if (key === undefined && !isLoopback(host)) {
    throw usageError(
      `--host ${host} needs an explicit --jwt-key (or HERALD_JWT_KEY): without a key Herald only listens on loopback`,
    );
  }
  const level = args.sourced('log-level') ?? { text: 'info', from: '--log-level' };
  if (!isLogLevel(level.text))
    throw usageError(`${level.from} must be one of ${LOG_LEVELS.join(', ')} (got "${level.text}")`);

  const limits: Partial<Limits> = {};
  for (const limit of LIMIT_NAMES) {
    const value = args.integer(kebab(limit), { min: 1 });
    if (value !== undefined) limits[limit] = value;
  }
  const hub: HubOptions = {
    limits,
    history: {
      maxEvents: args.integer('history-events', { min: 0 }) ?? HUB_DEFAULTS.history.maxEvents,
      maxBytes: args.integer('history-bytes', { min: 0 }) ?? HUB_DEFAULTS.history.maxBytes,
      maxAgeMs: readHistoryAge(args),
    },
    corsOrigins: args.list('cors-origin'),
  };
  for (const t of TIMINGS)
    hub[t.field] = args.integer(t.name, { min: t.min, max: MAX_TIMER_MS }) ?? HUB_DEFAULTS[t.field];
  return { port, host, jwtKey: key?.text, logLevel: level.text, store: readStore(args), hub };
}

/** The store URL for logs, without a password. */
function storeLabel(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/** `http://127.0.0.1:8080/`; an unspecified address (0.0.0.0, ::) is shown as localhost. */
function baseUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
}

function listenError(error: unknown, port: number, host: string): CliError {
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE')
    return new CliError(`port ${port} is in use: stop the other process or pass --port N`);
  if (code === 'EACCES') {
    return new CliError(`no permission to listen on port ${port}: pass --port N with N above 1023`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new CliError(`cannot listen on host ${host}: it is not an address of this machine; pass --host`);
  }
  return new CliError(
    `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/** Starts the hub and returns once it listens; the process then runs until a signal stops it. */
export async function serve(args: Args): Promise<void> {
  const config = readConfig(args);
  const log = createLogger(config.logLevel);
  const generated = config.jwtKey === undefined;
  const jwtKey = config.jwtKey ?? randomBytes(32).toString('base64url');
  let store: EventLog;
  try {
    store = await openStore(config.store, config.hub.history);
  } catch (error) {
    // StoreOpenError (unreachable Redis, unwritable or corrupt SQLite) names the store; anything else: one line too.
    if (error instanceof StoreOpenError) throw new CliError(reasonOf(error));
    throw new CliError(`cannot open the store ${storeLabel(config.store)}: ${reasonOf(error)}`);
  }
  const hub = createHub({
    ...config.hub,
    store,
    jwtKey,
    logger: log,
  });
  // Handlers first: a signal that comes while starting up still stops the hub gracefully.
  let server: Server | undefined;
  stopOnSignals(hub, () => server, log, config.hub.drainTimeoutMs ?? HUB_DEFAULTS.drainTimeoutMs);
  try {
    server = await hub.listen(config.port, config.host);
  } catch (error) {
    await hub.close();
    throw listenError(error, config.port, config.host);
  }
  const port = (server.address() as AddressInfo).port;
  const url = baseUrl(config.host, port);
  log.info(
    { url, host: config.host, port, store: storeLabel(config.store) },
    `herald listening on ${url} (open it for the monitor)`,
  );
  if (generated) {
    const token = await mintToken(keyBytes(jwtKey), { publish: ['**'] });
    log.warn(
      {
        token,
        curlPublish: `curl -H 'Authorization: Bearer ${token}' -d topic=demo -d data=hello ${url}publish`,
        curlSubscribe: `curl -N '${url}events?topic=demo'`,
      },
      'no --jwt-key given: made a random key for this run (its tokens stop working on restart); here is a publisher token for every topic',
    );
    // Plain lines to paste into another shell: curl, herald publish and examples/publish read them.
    // On stderr, so that stdout stays one JSON record per line.
    const exports = [`export HERALD_TOKEN=${token}`];
    if (url !== `${DEFAULT_URL}/`) exports.push(`export HERALD_URL=${url.slice(0, -1)}`);
    process.stderr.write(`${exports.join('\n')}\n`);
  }
}

/** SIGTERM/SIGINT: close every stream (jittered retry:), stop listening, exit 0; a second signal exits at once. */
function stopOnSignals(
  hub: HeraldHub,
  listening: () => Server | undefined,
  log: ReturnType<typeof createLogger>,
  drainTimeoutMs: number,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info(
      { signal, streams: hub.stats().connections },
      'shutting down: closing streams, clients will reconnect',
    );
    const deadline = drainTimeoutMs + SHUTDOWN_GRACE_MS;
    setTimeout(() => {
      log.error(`shutdown took longer than ${deadline / 1000} s: exiting`);
      process.exit(1);
    }, deadline).unref();
    // The server's close event comes once every connection has ended: the last bytes are out.
    const server = listening();
    const drained = new Promise<void>((resolve) => {
      if (server === undefined) return resolve();
      server.once('close', resolve);
      setTimeout(resolve, LINGER_MS).unref();
    });
    hub
      .close()
      .then(() => drained)
      .then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
