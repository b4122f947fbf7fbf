/** One server-sent event as the encoder takes it. */
export interface EncodableEvent {
  /** The event's data. Split on every line ending (CRLF, CR, LF), so it can never forge another field. */
  data: string;
  /** Event type (the `event:` field). Defaults to `message` on the client when absent. No CR, LF or NUL. */
  type?: string;
  /** Event id (the `id:` field); `''` resets the client's last event ID. No CR, LF or NUL. */
  id?: string;
  /** Reconnection delay in milliseconds (the `retry:` field): a non-negative integer. */
  retry?: number;
  /** A comment, written as `:` lines before the fields (split on line endings like `data`). */
  comment?: string;
}

function checkField(name: string, value: unknown): void {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (value.indexOf('\n') !== -1 || value.indexOf('\r') !== -1 || value.indexOf('\0') !== -1) {
    throw new TypeError(`${name} must not contain CR, LF or NUL`);
  }
}

/** Checks `retry`; exported so that publishers can validate before appending to a log. */
export function checkRetry(retry: number): void {
  if (!Number.isSafeInteger(retry) || retry < 0) {
    throw new TypeError('retry must be a non-negative integer');
  }
}

/**
 * Writes `text` as one `prefix` line per line of text, splitting on CRLF, lone CR and lone LF, so
 * that no character of the value can end the line early. The parser strips one space after the
 * colon, so `prefix` ends with a space and the value's own leading spaces survive.
 */
function prefixLines(prefix: string, text: string): string {
  let cr = text.indexOf('\r');
  let lf = text.indexOf('\n');
  // Fast path: most values have no line ending at all.
  if (cr === -1 && lf === -1) return `${prefix}${text}\n`;
  let out = '';
  let pos = 0;
  for (;;) {
    if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos);
    if (lf !== -1 && lf < pos) lf = text.indexOf('\n', pos);
    const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
    if (end === -1) break;
    out += `${prefix}${text.slice(pos, end)}\n`;
    // CRLF is one line ending.
    pos = end === cr && lf === end + 1 ? end + 2 : end + 1;
  }
  return `${out}${prefix}${text.slice(pos)}\n`;
}

/**
 * Encodes one event as event-stream text, ending with the blank line that dispatches it.
 * Throws a TypeError naming the field when `data`, `id`, `type` or `comment` is not a string,
 * `id` or `type` holds CR, LF or NUL, or `retry` is not a non-negative integer.
 */
export function encodeEvent(event: EncodableEvent): string {
  let out = '';
  if (event.comment !== undefined) {
    if (typeof event.comment !== 'string') throw new TypeError('comment must be a string');
    out += prefixLines(': ', event.comment);
  }
  if (event.type !== undefined) {
    checkField('type', event.type);
    out += `event: ${event.type}\n`;
  }
  if (event.id !== undefined) {
    checkField('id', event.id);
    out += `id: ${event.id}\n`;
  }
  if (event.retry !== undefined) {
    checkRetry(event.retry);
    out += `retry: ${event.retry}\n`;
  }
  if (typeof event.data !== 'string') throw new TypeError('data must be a string');
  out += prefixLines('data: ', event.data);
  return `${out}\n`;
}

/** The same as {@link encodeEvent}, as UTF-8 bytes ready to write to many sockets. */
export function encodeEventBytes(event: EncodableEvent): Buffer {
  return Buffer.from(encodeEvent(event), 'utf8');
}
