/**
 * `herald subscribe <topic-or-url>...`: prints events as they arrive, through herald/client's
 * EventSource, which reconnects by itself and resumes with Last-Event-ID.
 */
import { EventSource, type EventSourceErrorEvent, type EventSourceOptions } from '../client/index.js';
import { CliError, unreachable, usageError } from './errors.js';
import type { Args, CommandSpec } from './options.js';
import { DEFAULT_URL, httpUrl, hubUrl } from './shared.js';
import { REUSABLE_KEY } from './token.js';

export const SUBSCRIBE: CommandSpec = {
  name: 'subscribe',
  args: '<topic-or-url>...',
  summary: 'Print the events of topics as they arrive; after a disconnect, resume where it left off.',
  about:
    'Each argument is a topic selector (news/world, stocks/*, news/**) or the full URL of an event\n' +
    'stream (http://host:8080/events?topic=a). Events go to stdout as `[type] id data`, or one JSON\n' +
    'object per line with --json; news of the connection goes to stderr. Ctrl-C stops.',
  options: [
    { name: 'json', kind: 'flag', description: 'print {"type","id","data"} as one JSON object per line' },
    {
      name: 'count',
      kind: 'value',
      value: 'N',
      default: 'run until stopped',
      description: 'exit after N events',
    },
    {
      name: 'last-event-id',
      kind: 'value',
      value: 'ID',
      description: 'start after this event id (replayed from history)',
    },
    {
      name: 'token',
      kind: 'value',
      value: 'JWT',
      env: ['HERALD_TOKEN'],
      description: 'token whose subscribe claim admits private events',
    },
    {
      name: 'url',
      kind: 'value',
      value: 'URL',
      default: DEFAULT_URL,
      env: ['HERALD_URL'],
      description: 'where the hub is (a URL argument overrides it)',
    },
    { name: 'quiet', kind: 'flag', description: 'say nothing on stderr about connecting and reconnecting' },
  ],
  examples: [
    "herald subscribe 'news/**'",
    'herald subscribe --json --count 1 stocks/ACME',
    "herald subscribe 'http://127.0.0.1:8080/events?topic=chat/room1'",
  ],
};

/** An EventSource that hands every message event, whatever its type, to `onAny`. */
class TappedEventSource extends EventSource {
  readonly #onAny: (event: MessageEvent<string>) => void;

  constructor(url: URL, options: EventSourceOptions, onAny: (event: MessageEvent<string>) => void) {
    super(url, options);
    this.#onAny = onAny;
  }

  override dispatchEvent(event: Event): boolean {
    if (event instanceof MessageEvent) this.#onAny(event as MessageEvent<string>);
    return super.dispatchEvent(event);
  }
}

/** The stream's URL from the arguments: topics go to `--url`'s /events, or are added to a URL argument. */
function streamUrl(args: Args): URL {
  let url: URL | undefined;
  const topics: string[] = [];
  for (const arg of args.positionals) {
    if (!/^https?:\/\//i.test(arg)) topics.push(arg);
    else if (url !== undefined) throw usageError('give at most one URL to herald subscribe');
    else url = httpUrl(arg, 'the URL argument');
  }
  if (url === undefined) url = new URL('events', hubUrl(args));
  else if (url.pathname === '/') url.pathname = '/events';
  for (const topic of topics) url.searchParams.append('topic', topic);
  if (url.searchParams.getAll('topic').length === 0) {
    throw usageError(
      "name at least one topic, as in: herald subscribe 'news/**'; see: herald subscribe --help",
    );
  }
  return url;
}

export function formatEvent(event: MessageEvent<string>, json: boolean): string {
  if (json) return `${JSON.stringify({ type: event.type, id: event.lastEventId, data: event.data })}\n`;
  return `[${event.type}] ${event.lastEventId || '-'} ${event.data.replaceAll('\n', '\n  ')}\n`;
}

function refusalHint(status: number | undefined, reason: string): string | undefined {
  if (status === 401 && reason.includes("does not match this hub's key")) {
    return `the token is not valid for this hub: mint one with herald token --subscribe 'TOPIC' --jwt-key KEY; ${REUSABLE_KEY}`;
  }
  if (status === 401) {
    return "the token is not valid for this hub: mint one with herald token --subscribe 'TOPIC' --jwt-key KEY";
  }
  return undefined;
}

export async function subscribe(args: Args): Promise<number> {
  const url = streamUrl(args);
  const count = args.integer('count', { min: 1 });
  const json = args.flag('json');
  const quiet = args.flag('quiet');
  const token = args.string('token');
  const say = (line: string): void => {
    if (!quiet) process.stderr.write(`herald subscribe: ${line}\n`);
  };

  return new Promise<number>((resolve, reject) => {
    let received = 0;
    let opened = 0;
    const finish = (code: number): void => {
      source.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(code);
    };
    const onSignal = (): void => finish(0);
    const options: EventSourceOptions = {};
    if (token !== undefined) options.headers = { authorization: `Bearer ${token}` };
    const lastEventId = args.string('last-event-id');
    if (lastEventId !== undefined) options.lastEventId = lastEventId;

    const source = new TappedEventSource(url, options, (event) => {
      // The hub's resume-point bookkeeping is no event of the application's.
      if (source.readyState === EventSource.CLOSED || event.type === 'herald-resume') return;
      process.stdout.write(formatEvent(event, json));
      received++;
      if (count !== undefined && received >= count) finish(0);
    });
    source.addEventListener('open', () => {
      opened++;
      if (opened === 1) say(`subscribed to ${url.href}`);
      else say(`reconnected, resuming after ${source.lastEventId || 'the start'}`);
    });
    source.addEventListener('error', (event: EventSourceErrorEvent) => {
      // The error event carries the hub's one-line reason of a refused request.
      if (event.reconnectDelay === undefined) {
        const reason = event.reason ?? event.message;
        const hint = refusalHint(event.status, reason);
        source.close();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        const status = event.status === undefined ? '' : ` (${event.status})`;
        reject(
          new CliError(
            `the hub refused the subscription${status}: ${reason}`,
            hint === undefined ? {} : { hint },
          ),
        );
        return;
      }
      const why =
        event.error !== undefined
          ? unreachable(event.error, url).message
          : event.status !== undefined
            ? event.message
            : event.message.replace('server', 'hub');
      say(`${why}; reconnecting in ${Math.round(event.reconnectDelay)} ms`);
    });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      // The reader went away (`herald subscribe ... | head`): that is a normal end.
      if (error.code === 'EPIPE') finish(0);
    });
  });
}
