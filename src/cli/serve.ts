/**
 * `herald serve`: runs the hub on node:http, logs with pino, stops gracefully on SIGTERM/SIGINT.
 * Secure by default: without a key it makes one for the run, prints a publisher token, and stays on
 * loopback.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { type AuthorizerSpec, KeySpecError } from '../auth/create-authorizer.js';
import { keyBytes, mintToken } from '../auth/jwt.js';
import { parseKeySpec } from '../auth/key-spec.js';
import { createHub, type HeraldHub, HUB_DEFAULTS, type HubOptions } from '../create-hub.js';
import { DEFAULT_AUTH_COOKIE, isCookieName } from '../http/cookies.js';
import { CorsConfigError, CorsPolicy } from '../http/cors.js';
import { isLoopback } from '../http/loopback.js';
import type { TlsFiles } from '../http/server.js';
import { TrustedProxies, TrustedProxyError } from '../http/trusted-proxies.js';
import type { Limits } from '../hub/limits.js';
import { parseSelector, TopicError } from '../hub/topic-selector.js';
import type { EventLog } from '../log/event-log.js';
import {
  openStore,
  parseStoreUrl,
  STORE_URL_FORMS,
  StoreOpenError,
  StoreUrlError,
} from '../log/open-store.js';
import { reasonOf } from '../log/store-errors.js';
import type { MonitorOptions } from '../monitor/monitor.js';
import { parseDuration } from './duration.js';
import { CliError, usageError } from './errors.js';
import { createLogger, isLogLevel, LOG_LEVELS } from './log.js';
import { type Args, type CommandSpec, kebab, type OptionSpec, type Sourced } from './options.js';
import { DEFAULT_URL } from './shared.js';
import { storeOpeningLine } from './store-opening-line.js';

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
  maxEventsPerBatch: 'events in one batch publish (an application/x-ndjson body)',
  maxPublishBatchBytes: 'bytes of one batch publish request body (application/x-ndjson)',
  maxPublishesPerSecondPerClient:
    'authenticated published events per second from one client address (a batch spends one per event)',
  maxAuthFailuresPerSecondPerClient:
    'publish attempts with a missing or bad token per second from one client address',
  maxTicketsPerSecondPerClient: 'POST /tickets requests per second from one client address',
  maxHistoryReadsPerSecondPerClient: 'GET /history requests per second from one client address',
  maxUnsentBytesPerSession: 'unsent bytes a subscriber may fall behind before it is disconnected',
  maxReplayBytes: 'bytes of replay in memory at once across all reconnecting subscribers',
  idempotencyWindowMs: "how long a publish's Idempotency-Key answers its first event's id, in ms",
  maxIdempotencyKeys: 'Idempotency-Key values remembered at once (the oldest are forgotten first)',
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
    'Without --jwt-key or --publisher-key a random key is made for this run and a publisher token (for\n' +
    'every topic) is printed, with an `export HERALD_TOKEN=...` line on stderr to paste into another\n' +
    'shell; the hub then only listens on loopback. --jwt-key is the HS256 shorthand for both sides;\n' +
    '--publisher-key and --subscriber-key each win for their side. Subscribers send their token in an\n' +
    'Authorization header, the auth cookie, as access_token, or trade it at POST /tickets for a\n' +
    'single-use ticket (?ticket=). Logs are JSON lines on stdout (a short human line on a terminal).\n' +
    'SIGTERM or SIGINT ends every stream with a jittered retry: once what is queued for it is out\n' +
    '(at most --drain-timeout), then exits 0.\n' +
    'Each option is taken from, first found: its flag, its environment variable, the --config file\n' +
    '(JSON; keys are the option names in camelCase, a repeatable one also in the plural:\n' +
    '{"port": 8080, "store": "sqlite:./herald.db", "corsOrigins": ["https://app.example"]}), its default.',
  options: [
    {
      name: 'config',
      kind: 'value',
      value: 'FILE',
      env: ['HERALD_CONFIG'],
      description: 'read options from a JSON file (below flags and environment variables)',
    },
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
      name: 'publisher-key',
      kind: 'value',
      value: 'SPEC',
      env: ['HERALD_PUBLISHER_KEY'],
      default: '--jwt-key',
      description:
        'how publisher tokens are verified: hs256:SECRET, pem:FILE (RSA, EC or Ed25519 public key), jwks:FILE or jwks:URL (https)',
    },
    {
      name: 'subscriber-key',
      kind: 'value',
      value: 'SPEC',
      env: ['HERALD_SUBSCRIBER_KEY'],
      default: '--jwt-key',
      description: 'how subscriber tokens are verified (forms as for --publisher-key)',
    },
    ...(['publisher', 'subscriber'] as const).flatMap((side): OptionSpec[] => [
      {
        name: `${side}-issuer`,
        kind: 'value',
        value: 'ISS',
        multiple: true,
        env: [`HERALD_${side.toUpperCase()}_ISSUER`],
        description: `${side} tokens must name this issuer (iss); the variable is comma-separated`,
      },
      {
        name: `${side}-audience`,
        kind: 'value',
        value: 'AUD',
        multiple: true,
        env: [`HERALD_${side.toUpperCase()}_AUDIENCE`],
        description: `${side} tokens must name this audience (aud); the variable is comma-separated`,
      },
    ]),
    {
      name: 'auth-cookie',
      kind: 'value',
      value: 'NAME',
      env: ['HERALD_AUTH_COOKIE'],
      default: DEFAULT_AUTH_COOKIE,
      description: 'cookie a subscriber token is read from on /events and POST /tickets',
    },
    {
      name: 'no-query-token',
      kind: 'flag',
      description:
        'refuse subscriber tokens in the URL (access_token); cookies, headers and tickets still work',
    },
    {
      name: 'private-topics',
      kind: 'value',
      value: 'SELECTOR',
      multiple: true,
      env: ['HERALD_PRIVATE_TOPICS'],
      default: 'none',
      description:
        'every event under it is private, whatever its publisher said (stored events too); the variable is comma-separated',
    },
    {
      name: 'monitor-auth',
      kind: 'flag',
      description:
        "the monitor's figures and $SYS/ topics need a subscriber token listing $SYS/** (default: public)",
    },
    {
      name: 'monitor-processes',
      kind: 'flag',
      env: ['HERALD_MONITOR_PROCESSES'],
      description:
        "list this machine's busiest processes in the public monitor on any --host (default: on loopback or with --monitor-auth only)",
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
      name: 'tls-cert',
      kind: 'value',
      value: 'FILE',
      env: ['HERALD_TLS_CERT'],
      description:
        'PEM certificate (chain): serve HTTPS with HTTP/2 and HTTP/1.1 on the one port; needs --tls-key',
    },
    {
      name: 'tls-key',
      kind: 'value',
      value: 'FILE',
      env: ['HERALD_TLS_KEY'],
      description: 'PEM private key of --tls-cert',
    },
    {
      name: 'cors-origin',
      kind: 'value',
      value: 'ORIGIN',
      multiple: true,
      env: ['HERALD_CORS_ORIGINS'],
      default: 'none (CORS closed)',
      description: 'origin allowed by CORS, or * for any (without cookies); the variable is comma-separated',
    },
    {
      name: 'cors-header',
      kind: 'value',
      value: 'HEADER',
      multiple: true,
      env: ['HERALD_CORS_HEADERS'],
      description:
        'request header preflights allow besides Authorization, Content-Type, Last-Event-ID, Cache-Control, X-Requested-With, Idempotency-Key',
    },
    {
      name: 'trust-proxy',
      kind: 'value',
      value: 'ADDRESSES',
      multiple: true,
      env: ['HERALD_TRUST_PROXY'],
      default: 'none',
      description:
        'proxies (addresses, CIDRs, loopback, private) whose Forwarded / X-Forwarded-For name the client for per-client limits',
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
    'herald serve --tls-cert cert.pem --tls-key key.pem   # HTTPS, HTTP/2',
    'herald serve --store sqlite:./herald.db --history-age 24h',
    'herald serve --store redis://127.0.0.1:6379 --port 8081 --jwt-key "$HERALD_JWT_KEY"',
    'HERALD_JWT_KEY=$(openssl rand -base64 32) herald serve --host 0.0.0.0 --cors-origin https://example.com',
    'herald serve --publisher-key pem:./publisher.pem --subscriber-key jwks:https://auth.example.com/jwks.json --no-query-token',
  ],
};

interface ServeConfig {
  port: number;
  host: string;
  /** The HS256 shorthand for both sides; undefined: made for this run where a side has no key. */
  jwtKey: string | undefined;
  /** No publisher key was given: the run's random key verifies publishers (and its token is printed). */
  generated: boolean;
  logLevel: (typeof LOG_LEVELS)[number];
  /** The store URL, already checked by parseStoreUrl. */
  store: string;
  hub: HubOptions;
  /** HTTPS with HTTP/2 when given. */
  tls: TlsFiles | undefined;
}

/** --tls-cert and --tls-key: both or neither, each a readable file. */
function readTls(args: Args): TlsFiles | undefined {
  const cert = args.sourced('tls-cert');
  const key = args.sourced('tls-key');
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    const [given, missing] = cert === undefined ? [key!.from, '--tls-cert'] : [cert.from, '--tls-key'];
    throw usageError(`${given} needs ${missing} too (HTTPS takes a certificate and its private key)`);
  }
  const read = (file: Sourced): Buffer => {
    try {
      return readFileSync(file.text);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const why =
        code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'no permission to read it' : String(code);
      throw usageError(`${file.from} ${file.text}: ${why}`);
    }
  };
  return { cert: read(cert), key: read(key) };
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
    // parseDuration's reason quotes the text already; the range check's does not.
    const reason = reasonOf(error);
    throw usageError(`--history-age: ${reason.includes(`"${text}"`) ? reason : `${reason} (got "${text}")`}`);
  }
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
  const publisherKey = keySpecOption(args, 'publisher-key');
  const subscriberKey = keySpecOption(args, 'subscriber-key');
  const generated = key === undefined && publisherKey === undefined;
  if (generated && !isLoopback(host)) {
    throw usageError(
      `--host ${host} needs an explicit --jwt-key or --publisher-key (or HERALD_JWT_KEY): without a key Herald only listens on loopback`,
    );
  }
  if (args.flag('monitor-auth') && key === undefined && subscriberKey === undefined) {
    throw usageError(
      '--monitor-auth needs a key you can mint monitor tokens with: --jwt-key or --subscriber-key',
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
    corsHeaders: args.list('cors-header'),
    ...sideKey(args, 'publisher', publisherKey, key?.text),
    ...sideKey(args, 'subscriber', subscriberKey, key?.text),
    ...authOptions(args),
  };
  try {
    new CorsPolicy(hub.corsOrigins ?? [], hub.corsHeaders);
  } catch (error) {
    if (error instanceof CorsConfigError) throw usageError(`--cors-origin / --cors-header: ${error.message}`);
    throw error;
  }
  for (const t of TIMINGS)
    hub[t.field] = args.integer(t.name, { min: t.min, max: MAX_TIMER_MS }) ?? HUB_DEFAULTS[t.field];
  return {
    port,
    host,
    jwtKey: key?.text,
    generated,
    logLevel: level.text,
    store: readStore(args),
    hub,
    tls: readTls(args),
  };
}

/** `--publisher-key SPEC` / `--subscriber-key SPEC`, parsed; a bad spec is a usage error. */
function keySpecOption(args: Args, name: string): AuthorizerSpec | undefined {
  const found = args.sourced(name);
  if (found === undefined) return undefined;
  try {
    return parseKeySpec(found.text);
  } catch (error) {
    if (error instanceof KeySpecError) throw usageError(`${found.from}: ${error.message}`);
    throw error;
  }
}

/**
 * One side's key option: its own spec, or the --jwt-key shorthand when issuer or audience checks
 * make it one of its own; with neither, nothing (the shorthand serves it).
 */
function sideKey(
  args: Args,
  side: 'publisher' | 'subscriber',
  spec: AuthorizerSpec | undefined,
  jwtKey: string | undefined,
): Pick<HubOptions, 'publisherKey' | 'subscriberKey'> {
  const issuer = args.list(`${side}-issuer`);
  const audience = args.list(`${side}-audience`);
  const checks = {
    ...(issuer.length > 0 ? { issuer } : {}),
    ...(audience.length > 0 ? { audience } : {}),
  };
  let base = spec;
  if (base === undefined && Object.keys(checks).length > 0) {
    if (jwtKey === undefined) {
      const flag = issuer.length > 0 ? `--${side}-issuer` : `--${side}-audience`;
      throw usageError(`${flag} needs a key whose tokens can carry it: --${side}-key or --jwt-key`);
    }
    base = { secret: jwtKey };
  }
  if (base === undefined) return {};
  return { [`${side}Key`]: { ...base, ...checks } };
}

/** Cookie, query-token, proxy, private-topic and monitor options. */
function authOptions(args: Args): Partial<HubOptions> {
  const cookie = args.sourced('auth-cookie');
  if (cookie !== undefined && !isCookieName(cookie.text)) {
    throw usageError(
      `${cookie.from} must be a cookie name: letters, digits and !#$%&'*+-.^_\`|~ (got "${cookie.text.slice(0, 40)}")`,
    );
  }
  const proxies = args.list('trust-proxy');
  try {
    new TrustedProxies(proxies);
  } catch (error) {
    if (error instanceof TrustedProxyError) throw usageError(`--trust-proxy: ${error.message}`);
    throw error;
  }
  const privateTopics = args.list('private-topics');
  for (const text of privateTopics) {
    try {
      parseSelector(text);
    } catch (error) {
      if (error instanceof TopicError) throw usageError(`--private-topics: ${error.message}`);
      throw error;
    }
  }
  const options: Partial<HubOptions> = {};
  if (privateTopics.length > 0) options.privateTopics = privateTopics;
  if (cookie !== undefined) options.authCookie = cookie.text;
  if (args.flag('no-query-token')) options.queryToken = false;
  if (proxies.length > 0) options.trustProxy = proxies;
  const monitor: MonitorOptions = {};
  if (args.flag('monitor-auth')) monitor.auth = true;
  if (args.flag('monitor-processes')) monitor.processes = true;
  if (Object.keys(monitor).length > 0) options.monitor = monitor;
  return options;
}

/** The store URL for logs, without a password. */
function storeLabel(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/** `http://127.0.0.1:8080/`; an unspecified address (0.0.0.0, ::) is shown as localhost. */
function baseUrl(host: string, port: number, secure: boolean): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  return `${secure ? 'https' : 'http'}://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
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
  const generated = config.generated;
  // The run's random key serves every side without a key of its own.
  const jwtKey =
    config.jwtKey ??
    (generated || config.hub.subscriberKey === undefined ? randomBytes(32).toString('base64url') : undefined);
  let hub: HeraldHub;
  let store: EventLog;
  try {
    store = await openStore(config.store, config.hub.history);
  } catch (error) {
    // StoreOpenError (unreachable Redis, unwritable or corrupt SQLite) names the store; anything else: one line too.
    if (error instanceof StoreOpenError) throw new CliError(reasonOf(error));
    throw new CliError(`cannot open the store ${storeLabel(config.store)}: ${reasonOf(error)}`);
  }
  if (store.opening)
    log.info(
      { store: storeLabel(config.store), ...store.opening },
      storeOpeningLine(storeLabel(config.store), store.opening),
    );
  try {
    hub = createHub({ ...config.hub, store, jwtKey, logger: log });
  } catch (error) {
    await store.close();
    if (error instanceof KeySpecError) throw usageError(error.message);
    throw error;
  }
  // Key files are read before listening: a missing or unusable one stops the start (exit 1).
  try {
    await hub.ready();
  } catch (error) {
    await hub.close();
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
  // Handlers first: a signal that comes while starting up still stops the hub gracefully.
  let server: Server | Http2SecureServer | undefined;
  stopOnSignals(hub, () => server, log, config.hub.drainTimeoutMs ?? HUB_DEFAULTS.drainTimeoutMs);
  try {
    server = await hub.listen(config.port, config.host, { tls: config.tls });
  } catch (error) {
    await hub.close();
    throw listenError(error, config.port, config.host);
  }
  const port = (server.address() as AddressInfo).port;
  const url = baseUrl(config.host, port, config.tls !== undefined);
  log.info(
    { url, host: config.host, port, http2: config.tls !== undefined, store: storeLabel(config.store) },
    `herald listening on ${url}${config.tls === undefined ? '' : ' (HTTPS: HTTP/2 and HTTP/1.1)'} (open it for the monitor)`,
  );
  if (generated && jwtKey !== undefined) {
    const token = await mintToken(keyBytes(jwtKey), { publish: ['**'] });
    log.warn(
      {
        token,
        curlPublish: `curl -H 'Authorization: Bearer ${token}' -d topic=demo -d data=hello ${url}publish`,
        curlSubscribe: `curl -N '${url}events?topic=demo'`,
      },
      'no --jwt-key or --publisher-key given: made a random key for this run (its tokens stop working on restart); here is a publisher token for every topic',
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
  listening: () => Server | Http2SecureServer | undefined,
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
