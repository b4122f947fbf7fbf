// The data every publisher of this benchmark sends: `<send time in us> <sequence> <padding>`. Every
// process on the machine shares the monotonic clock, so the load generator reads the send time back
// and measures publish-to-receive latency without any clock offset.

/** Microseconds on the monotonic clock. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** An event's data, `size` characters in all (`padding` is at least that long). */
export function eventData(seq: number, size: number, padding: string): string {
  const head = `${nowUs()} ${seq} `;
  return head.length >= size ? head : head + padding.slice(0, size - head.length);
}
