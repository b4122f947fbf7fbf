/** `herald publish <topic> <data>`: one POST /publish to a running hub; prints the new event's id. */
import { CliError, unreachable, usageError } from './errors.js';
import type { Args, CommandSpec } from './options.js';
import { DEFAULT_URL, hubUrl, readStdin } from './shared.js';
import { REUSABLE_KEY } from './token.js';

/** A publish gets this long for an answer. */
const PUBLISH_TIMEOUT_MS = 30_000;

export const PUBLISH: CommandSpec = {
  name: 'publish',
  args: '<topic> <data>',
  summary: 'Publish one event to a running hub and print its id.',
  about:
    'With --topic, <topic> may be left out: `herald publish --topic a --topic b <data>`.\n' +
    '<data> `-` reads the data from stdin (one trailing newline is dropped).',
  options: [
    {
      name: 'topic',
      kind: 'value',
      value: 'TOPIC',
      multiple: true,
      description: 'another topic to publish the same event to',
    },
    { name: 'type', kind: 'value', value: 'TYPE', default: 'message', description: 'event type (event:)' },
    {
      name: 'retry',
      kind: 'value',
      value: 'MS',
      description: 'reconnection delay (retry:) sent with the event',
    },
    {
      name: 'private',
      kind: 'flag',
      description: 'only subscribers whose token covers the topic receive it',
    },
    {
      name: 'idempotency-key',
      kind: 'value',
      value: 'KEY',
      description:
        'sent as Idempotency-Key: a retry with the same key prints the first id and publishes nothing (safe after a 503)',
    },
    {
      name: 'token',
      kind: 'value',
      value: 'JWT',
      env: ['HERALD_TOKEN'],
      description: 'publisher token (see herald token, or the one herald serve prints)',
    },
    {
      name: 'url',
      kind: 'value',
      value: 'URL',
      default: DEFAULT_URL,
      env: ['HERALD_URL'],
      description: 'where the hub is',
    },
  ],
  examples: [
    "herald publish --token $TOKEN news/world 'Hello'",
    'echo \'{"price": 12.5}\' | herald publish --type quote stocks/ACME -',
    'herald publish --idempotency-key order-4711-shipped orders shipped',
  ],
};

/** What to do about a refused publish, from the status (and the reason, where one status has several causes). */
function hintFor(status: number, reason: string): string | undefined {
  if (status === 401 && reason.includes("does not match this hub's key")) {
    return `mint a token with: herald token --publish 'TOPIC' --jwt-key KEY (the hub's key), or use the one herald serve printed; ${REUSABLE_KEY}`;
  }
  if (status === 401) {
    return "mint a token with: herald token --publish 'TOPIC' --jwt-key KEY (the hub's key), or use the one herald serve printed";
  }
  if (status === 403 && reason.includes('claim')) {
    return "the token's publish claim does not cover the topic: mint one with a --publish selector that does";
  }
  if (status === 403 && reason.includes('no publisher key')) {
    return 'start the hub with --jwt-key or --publisher-key (or HERALD_JWT_KEY, HERALD_PUBLISHER_KEY)';
  }
  return undefined;
}

export async function publish(args: Args): Promise<number> {
  const extra = args.list('topic');
  const positionals = [...args.positionals];
  if (
    positionals.length > 2 ||
    positionals.length === 0 ||
    (positionals.length === 1 && extra.length === 0)
  ) {
    throw usageError(
      `herald publish takes <topic> <data> (or --topic TOPIC <data>), got ${positionals.length} argument(s); see: herald publish --help`,
    );
  }
  const dataArg = positionals.pop()!;
  const topics = [...positionals, ...extra];
  const retry = args.integer('retry', { min: 0 });
  const url = new URL('publish', hubUrl(args));

  const form = new URLSearchParams();
  for (const topic of topics) form.append('topic', topic);
  form.set('data', dataArg === '-' ? (await readStdin()).replace(/\r?\n$/, '') : dataArg);
  const type = args.string('type');
  if (type !== undefined) form.set('type', type);
  if (retry !== undefined) form.set('retry', String(retry));
  if (args.flag('private')) form.set('private', 'true');
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const token = args.string('token');
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const key = args.string('idempotency-key');
  if (key !== undefined) headers['idempotency-key'] = key;

  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body: form,
      signal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS),
    });
    text = (await response.text()).trim();
  } catch (error) {
    throw unreachable(error, url);
  }
  if (response.status !== 200) {
    const reason = text.split('\n')[0] || response.statusText;
    const hint = hintFor(response.status, reason);
    throw new CliError(`publish refused (${response.status}): ${reason}`, hint === undefined ? {} : { hint });
  }
  process.stdout.write(`${text}\n`);
  return 0;
}
