import type { Readable } from 'node:stream';
import { HeraldError } from '../hub/refusal.js';

export function tooLarge(limit: number): HeraldError {
  return new HeraldError('too-large', `body is larger than ${limit} bytes (maxPublishBodyBytes)`);
}

/** The error a body read meets when the client went away first (what node's stream iterator gives). */
function aborted(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

/** Collects a body of at most `limit` bytes; past it, rejects with 413 and stops reading. */
export async function readLimited(
  chunks: AsyncIterable<Uint8Array>,
  limit: number,
  stop: () => void,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > limit) {
      stop();
      throw tooLarge(limit);
    }
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(parts, size);
}

const NO_BODY = Buffer.alloc(0);

/**
 * The same for a node:http request, read by its 'data' events: no async iterator, promise and
 * listener set per chunk (the publish path's most frequent work). A request that closes before
 * its end rejects with `aborted`, as the iterator would, also when it closed before the read began
 * (its 'close' is then past, and waiting for it would wait forever).
 */
export function readRequestLimited(req: Readable, limit: number, stop: () => void): Promise<Buffer> {
  if (req.readableEnded) return Promise.resolve(NO_BODY);
  if (req.destroyed) return Promise.reject(req.errored ?? aborted());
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let parts: Buffer[] | undefined;
    let size = 0;
    const settle = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        settle();
        stop();
        reject(tooLarge(limit));
        return;
      }
      if (first === undefined) first = chunk;
      else if (parts === undefined) parts = [first, chunk];
      else parts.push(chunk);
    };
    const onEnd = (): void => {
      settle();
      resolve(parts !== undefined ? Buffer.concat(parts, size) : (first ?? NO_BODY));
    };
    const onError = (error: Error): void => {
      settle();
      reject(error);
    };
    const onClose = (): void => {
      settle();
      reject(aborted());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
