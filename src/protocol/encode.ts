/** One server-sent event as the encoder takes it. */
export interface EncodableEvent {
  /** The event's data. Split on every line ending, so it can never forge another field. */
  data: string;
  /** Event type (the `event:` field). Defaults to `message` on the client when absent. */
  type?: string;
  /** Event id (the `id:` field). */
  id?: string;
  /** Reconnection delay in milliseconds (the `retry:` field). */
  retry?: number;
  /** A comment, written as `:` lines before the fields. */
  comment?: string;
}

// CRLF first so that it counts as one line ending, then lone CR and lone LF.
const LINE_ENDING = /\r\n|\r|\n/;
const FORBIDDEN_IN_FIELD = /[\r\n\0]/;

function checkField(name: string, value: string): void {
  if (FORBIDDEN_IN_FIELD.test(value)) {
    throw new TypeError(`${name} must not contain CR, LF or NUL`);
  }
}

/** Checks `retry`; exported so that publishers can validate before appending to a log. */
export function checkRetry(retry: number): void {
  if (!Number.isSafeInteger(retry) || retry < 0) {
    throw new TypeError('retry must be a non-negative integer');
  }
}

function prefixLines(prefix: string, text: string): string {
  // Fast path: most data has no line ending at all.
  if (!LINE_ENDING.test(text)) return `${prefix}${text}\n`;
  let out = '';
  for (const line of text.split(LINE_ENDING)) out += `${prefix}${line}\n`;
  return out;
}

/**
 * Encodes one event as event-stream text, ending with the blank line that dispatches it.
 * Throws a TypeError naming the field when `id` or `type` holds CR, LF or NUL, or `retry`
 * is not a non-negative integer.
 */
export function encodeEvent(event: EncodableEvent): string {
  let out = '';
  if (event.comment !== undefined) out += prefixLines(':', event.comment === '' ? '' : ` ${event.comment}`);
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
  out += prefixLines('data: ', event.data);
  return `${out}\n`;
}

/** The same as {@link encodeEvent}, as UTF-8 bytes ready to write to many sockets. */
export function encodeEventBytes(event: EncodableEvent): Buffer {
  return Buffer.from(encodeEvent(event), 'utf8');
}
