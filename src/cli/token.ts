/** `herald token`: mints an HS256 JWT with Herald claims, signed with the hub's key. */
import { keyBytes, mintToken } from '../auth/jwt.js';
import { parseSelector, TopicError } from '../hub/topic-selector.js';
import { parseDuration } from './duration.js';
import { usageError } from './errors.js';
import type { Args, CommandSpec } from './options.js';

/** How to get a key that both the hub and herald token know. */
export const REUSABLE_KEY =
  'a hub started without --jwt-key signs with a random key it never shows, so only the token it printed ' +
  'works there; for a key you can mint with, start the hub with one and give herald token the same: ' +
  'export HERALD_JWT_KEY=$(openssl rand -base64 32) in both shells';

export const TOKEN: CommandSpec = {
  name: 'token',
  args: '',
  summary: "Mint a token (JWT) for publishers and private subscribers, signed with the hub's key.",
  options: [
    {
      name: 'publish',
      kind: 'value',
      value: 'SELECTOR',
      multiple: true,
      description: 'topics the token may publish to (news/world, news/*, news/**)',
    },
    {
      name: 'subscribe',
      kind: 'value',
      value: 'SELECTOR',
      multiple: true,
      description: 'private topics the token may receive',
    },
    {
      name: 'ttl',
      kind: 'value',
      value: 'DURATION',
      default: 'no expiry',
      description: 'lifetime: 90, 30s, 15m, 1h, 7d',
    },
    { name: 'subject', kind: 'value', value: 'SUBJECT', description: 'sub claim: who the token is for' },
    {
      name: 'jwt-key',
      kind: 'value',
      value: 'KEY',
      env: ['HERALD_JWT_KEY'],
      description: 'the key the hub was started with (required)',
    },
  ],
  examples: [
    "herald token --publish 'news/**' --ttl 1h",
    "herald token --subscribe 'users/42/**' --subject user-42",
  ],
};

function checkSelectors(option: string, selectors: readonly string[]): void {
  for (const selector of selectors) {
    try {
      parseSelector(selector);
    } catch (error) {
      if (error instanceof TopicError) throw usageError(`${option}: ${error.message}`);
      throw error;
    }
  }
}

export async function token(args: Args): Promise<number> {
  if (args.positionals.length > 0) {
    throw usageError(
      `herald token takes no arguments (got "${args.positionals[0]}"); use --publish or --subscribe`,
    );
  }
  const key = args.sourced('jwt-key');
  if (key === undefined) {
    throw usageError(
      "herald token needs the hub's key: pass --jwt-key KEY or set HERALD_JWT_KEY",
      REUSABLE_KEY,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = keyBytes(key.text);
  } catch {
    throw usageError(`${key.from} must be at least 32 bytes (got ${Buffer.byteLength(key.text)})`);
  }
  const publish = args.list('publish');
  const subscribe = args.list('subscribe');
  if (publish.length === 0 && subscribe.length === 0) {
    throw usageError(
      "a token without claims allows nothing: pass --publish 'TOPIC' and/or --subscribe 'TOPIC'",
    );
  }
  const ttl = args.sourced('ttl');
  let ttlSeconds: number | undefined;
  if (ttl !== undefined) {
    try {
      ttlSeconds = parseDuration(ttl.text);
    } catch (error) {
      throw usageError(`--ttl: ${(error as Error).message}`);
    }
    if (ttlSeconds <= 0) throw usageError('--ttl must be longer than 0 seconds');
  }
  checkSelectors('--publish', publish);
  checkSelectors('--subscribe', subscribe);
  const jwt = await mintToken(bytes, { publish, subscribe, ttlSeconds, subject: args.string('subject') });
  process.stdout.write(`${jwt}\n`);
  return 0;
}
