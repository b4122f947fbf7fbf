/**
 * For process-level store tests: `herald serve` processes on one store with one key, publishing
 * over HTTP with a publisher token, and the data of every event as a sequence number.
 */
import type { ServerSentEvent } from '../../src/protocol/parse.js';
import { type HttpAnswer, httpRequest, TEST_KEY, token } from '../support/hub.js';
import { type RunningHub, startHub } from './helpers.js';

export { TEST_KEY };

/** `herald serve --store STORE --jwt-key TEST_KEY` on a free port. */
export function startStoreHub(store: string, extra: readonly string[] = []): Promise<RunningHub> {
  return startHub(['--store', store, '--jwt-key', TEST_KEY, '--retry', '100', ...extra]);
}

let publisher: Promise<string> | undefined;

/** POST /publish with a token for every topic; resolves with the answer (any status). */
export async function post(
  url: string,
  body: Record<string, unknown>,
  timeoutMs = 10_000,
): Promise<HttpAnswer> {
  publisher ??= token({ publish: ['**'] });
  const bearer = await publisher;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to a publish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([
      httpRequest(`${url}/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Publishes `seq` as the data of an event on `topic`; resolves with its id (throws unless 200). */
export async function publishSeq(url: string, topic: string, seq: number, extra = {}): Promise<string> {
  const answer = await post(url, { topic, data: String(seq), ...extra });
  if (answer.status !== 200) throw new Error(`publish ${seq}: ${answer.status} ${answer.body}`);
  return answer.body.trimEnd();
}

/** The sequence numbers carried by a stream's application events (control events left out). */
export function seqs(events: readonly ServerSentEvent[]): number[] {
  return events.filter((e) => !e.type.startsWith('herald-')).map((e) => Number(e.data));
}

export function gaps(events: readonly ServerSentEvent[]): ServerSentEvent[] {
  return events.filter((e) => e.type === 'herald-gap');
}

export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);
