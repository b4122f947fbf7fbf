import { HeraldError } from '../hub/refusal.js';

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
      throw new HeraldError('too-large', `body is larger than ${limit} bytes (maxPublishBodyBytes)`);
    }
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(parts, size);
}
