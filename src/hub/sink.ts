/**
 * Where a session's bytes go: a node:http response, a Fetch ReadableStream, a long-poll response,
 * a test double. The hub knows streams only through this.
 */
export interface Sink {
  /**
   * Writes everything due in this tick (several chunks leave as one write); `events` of them are
   * events. The array is lent for the call only: keep the Buffers, never the array. Returns false
   * once the transport's queue is past its high-water mark (then `buffered()` is worth asking);
   * true means less than that is queued.
   */
  write(chunks: readonly Buffer[], events: number): boolean;
  /** Bytes accepted but not yet sent to the network. */
  buffered(): number;
  /** Ends the response cleanly once what was written is out. */
  end(): void;
  /** Cuts the connection (slow consumer, failed replay). */
  destroy(): void;
  /** Resolves when buffered bytes have been sent, or the connection is gone. */
  drained(): Promise<void>;
  /** Resolves once the response has ended and its last bytes were handed to the network, or the connection is gone. */
  finished(): Promise<void>;
}
