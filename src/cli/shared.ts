/** Small pieces the client commands share: where the hub is, and reading stdin. */
import { usageError } from './errors.js';
import type { Args } from './options.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Checks an http(s) URL; `from` names the option or argument in the error. */
export function httpUrl(text: string, from: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`${from} must be a URL like ${DEFAULT_URL} (got "${text}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`${from} must be an http:// or https:// URL (got "${text}")`);
  }
  return url;
}

/**
 * The hub's base URL from `--url` (or HERALD_URL), ending with `/` so that `publish` and `events`
 * resolve under it, also for a hub mounted under a path (`http://host/herald`).
 */
export function hubUrl(args: Args): URL {
  const found = args.sourced('url') ?? { text: DEFAULT_URL, from: '--url' };
  const url = httpUrl(found.text, found.from);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
