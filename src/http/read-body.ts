import { HeraldError } from '../hub/errors.js';

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
      throw new HeraldError(413, `body is larger than ${limit} bytes (maxPublishBodyBytes)`, {
        connection: 'close',
      });
    }
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(parts, size);
}
