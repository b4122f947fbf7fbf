/**
 * A streaming parser for `text/event-stream`, following the WHATWG HTML "Server-sent events"
 * section (parsing and interpreting an event stream, dispatching the event).
 *
 * Platform-neutral (no Node.js imports): the browser build of `herald/client` bundles it.
 */

/** One dispatched event, with the fields a browser's `MessageEvent` would carry. */
export interface ServerSentEvent {
  /** The event type: the last `event:` field of the block, or `message` when absent or empty. */
  type: string;
  /** The `data:` lines of the block joined with `\n` (every line ending arrives as `\n`). */
  data: string;
  /** The stream's last event ID string at the time of dispatch (persists from event to event). */
  lastEventId: string;
}

export interface ParserOptions {
  /** Called for every dispatched event (a blank line ending a block with at least one `data` field). */
  onEvent(event: ServerSentEvent): void;
  /** Called with the new reconnection time in milliseconds for each `retry:` field of ASCII digits only. */
  onRetry?(ms: number): void;
  /** Called for each comment line (a line starting with `:`), without the `:` and one following space. */
  onComment?(comment: string): void;
  /**
   * Largest event the parser buffers, in UTF-16 code units (JavaScript string length, after decoding):
   * the event's `data` lines as received (field name, colon and one for the line ending included) plus
   * the unfinished line being read. So `data: ` + 93 characters + LF fits a limit of 100. Past it,
   * `feed` throws a {@link ParseError} instead of growing without bound. Default: no limit.
   */
  maxEventSize?: number;
  /** Initial last event ID string (a client resuming a stream passes the ID it last saw). Default `''`. */
  lastEventId?: string;
}

export interface Parser {
  /**
   * Feeds the next chunk of the stream: bytes (decoded as UTF-8, invalid bytes becoming U+FFFD) or
   * already decoded text. Chunks may split anywhere, even inside a CRLF or a UTF-8 character.
   * Exceptions thrown by the callbacks propagate out of `feed`; the rest of that chunk is then dropped.
   */
  feed(chunk: Uint8Array | string): void;
  /**
   * Ends the stream: an unfinished event (no blank line yet) and a trailing partial line are
   * discarded, as the spec says. The parser is then ready for a new stream.
   */
  end(): void;
  /**
   * Starts over for a new stream (a reconnect): discards everything buffered, as `end()` does, and
   * strips a BOM again at the start of the next stream. The last event ID string is kept (browsers
   * keep it in the EventSource across reconnects) unless `lastEventId` is given.
   * If called from inside a callback, the rest of the current chunk is dropped.
   */
  reset(options?: { lastEventId?: string }): void;
  /** The last event ID string: set when a block ends (blank line), whether or not it had data. */
  readonly lastEventId: string;
}

/** Thrown by `feed` when an event outgrows `maxEventSize`. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  readonly code = 'max-event-size';
  constructor(
    readonly limit: number,
    readonly size: number,
  ) {
    super(
      `event-stream event exceeds maxEventSize: ${size} characters buffered, limit ${limit}. ` +
        'Raise maxEventSize if such events are expected, or check that the server ends each event ' +
        'with a blank line. The parser discarded the event; call reset() before feeding it again.',
    );
  }
}

const LF = 10;
const COLON = 58;
const SPACE = 32;
const BOM = 0xfeff;

/** Creates a streaming event-stream parser. See {@link Parser}. */
export function createParser(options: ParserOptions): Parser {
  const { onEvent, onRetry, onComment } = options;
  const maxEventSize = options.maxEventSize ?? Number.POSITIVE_INFINITY;
  if (!(maxEventSize > 0)) throw new RangeError('maxEventSize must be a positive number');

  // Decoding. ignoreBOM: the parser strips the one leading BOM itself, for bytes and strings alike.
  const streamDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const wholeDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
  // True when streamDecoder may hold the start of an unfinished UTF-8 sequence.
  let decoderDirty = false;
  // True until the first character of the stream has been seen.
  let atStart = true;

  // The unfinished line, kept as fragments and joined once its line ending arrives (linear time).
  const pending: string[] = [];
  let pendingSize = 0;
  // The previous chunk ended in CR: a LF starting the next chunk belongs to that line ending.
  let skipLF = false;

  // The event being built. Data lines are kept apart and joined once, at dispatch.
  let firstData = '';
  const moreData: string[] = [];
  let dataCount = 0;
  let dataSize = 0;
  let eventType = '';
  let idBuffer = options.lastEventId ?? '';
  let lastEventId = idBuffer;

  let failed: ParseError | undefined;
  // Bumped by reset()/end(), so that a callback ending the stream stops the chunk being processed.
  let generation = 0;

  function clearEvent(): void {
    firstData = '';
    moreData.length = 0;
    dataCount = 0;
    dataSize = 0;
    eventType = '';
  }

  function restart(newLastEventId: string): void {
    generation++;
    streamDecoder.decode(); // flush and forget any unfinished UTF-8 sequence
    decoderDirty = false;
    atStart = true;
    pending.length = 0;
    pendingSize = 0;
    skipLF = false;
    clearEvent();
    lastEventId = newLastEventId;
    idBuffer = newLastEventId;
    failed = undefined;
  }

  function overflow(size: number): never {
    failed = new ParseError(maxEventSize, size);
    const error = failed;
    pending.length = 0;
    pendingSize = 0;
    clearEvent();
    generation++;
    throw error;
  }

  /** Appends a data line; `size` is the length of the whole line with its line ending. */
  function pushData(value: string, size: number): void {
    dataSize += size;
    if (dataSize + pendingSize > maxEventSize) overflow(dataSize + pendingSize);
    if (dataCount === 0) firstData = value;
    else moreData.push(value);
    dataCount++;
  }

  /** A blank line: commit the last event ID, and dispatch when there is data. */
  function dispatch(): void {
    lastEventId = idBuffer;
    if (dataCount === 0) {
      eventType = '';
      return;
    }
    const data = dataCount === 1 ? firstData : `${firstData}\n${moreData.join('\n')}`;
    const type = eventType === '' ? 'message' : eventType;
    clearEvent();
    onEvent({ type, data, lastEventId });
  }

  /** Interprets the line `text[start, end)` (without its line ending). */
  function line(text: string, start: number, end: number): void {
    if (start === end) {
      dispatch();
      return;
    }
    const c = text.charCodeAt(start);
    // Fast paths for the common fields, by character code rather than by slicing the name.
    if (
      c === 100 && // d
      text.charCodeAt(start + 4) === COLON &&
      text.charCodeAt(start + 1) === 97 && // a
      text.charCodeAt(start + 2) === 116 && // t
      text.charCodeAt(start + 3) === 97 // a
    ) {
      const from = text.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5;
      pushData(text.slice(from, end), end - start + 1);
      return;
    }
    if (c === COLON) {
      if (onComment !== undefined) {
        onComment(text.slice(text.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1, end));
      }
      return;
    }
    // Any other line: the name runs to the first colon (or the whole line), the value after it.
    const whole = text.slice(start, end);
    const colon = whole.indexOf(':');
    let name: string;
    let value: string;
    if (colon === -1) {
      name = whole;
      value = '';
    } else {
      name = whole.slice(0, colon);
      value = whole.slice(whole.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
    }
    field(name, value, whole.length + 1);
  }

  function field(name: string, value: string, size: number): void {
    // Field names are compared literally, with no case folding.
    switch (name) {
      case 'data':
        pushData(value, size);
        break;
      case 'event':
        eventType = value;
        break;
      case 'id':
        if (value.indexOf('\0') === -1) idBuffer = value;
        break;
      case 'retry':
        if (onRetry !== undefined && isAsciiDigits(value)) onRetry(Number(value));
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  /** Parses decoded text: whole lines go to `line`, an unfinished one waits in `pending`. */
  function text(s: string): void {
    const gen = generation;
    const length = s.length;
    let pos = 0;
    if (atStart) {
      if (length === 0) return;
      atStart = false;
      if (s.charCodeAt(0) === BOM) pos = 1;
    }
    if (skipLF) {
      if (pos === length) return;
      skipLF = false;
      if (s.charCodeAt(pos) === LF) pos++;
    }
    // The next CR and LF at or after pos (-1: none left in this chunk), each searched for again
    // only once pos has passed it, so the whole chunk is scanned a bounded number of times.
    let nextCR = s.indexOf('\r', pos);
    let nextLF = s.indexOf('\n', pos);

    if (pending.length > 0) {
      const end = nextCR === -1 ? nextLF : nextLF === -1 ? nextCR : Math.min(nextCR, nextLF);
      if (end === -1) {
        const rest = pos === 0 ? s : s.slice(pos);
        pending.push(rest);
        pendingSize += rest.length;
        if (dataSize + pendingSize > maxEventSize) overflow(dataSize + pendingSize);
        return;
      }
      pending.push(s.slice(pos, end));
      const joined = pending.join('');
      pending.length = 0;
      pendingSize = 0;
      line(joined, 0, joined.length);
      if (gen !== generation) return;
      pos = end + 1;
      if (end === nextCR) {
        if (pos === length) skipLF = true;
        else if (s.charCodeAt(pos) === LF) pos++;
      }
    }

    while (pos < length) {
      if (nextLF !== -1 && nextLF < pos) nextLF = s.indexOf('\n', pos);
      if (nextCR !== -1 && nextCR < pos) nextCR = s.indexOf('\r', pos);
      let end: number;
      if (nextCR === -1) {
        if (nextLF === -1) break;
        end = nextLF;
        line(s, pos, end);
        pos = end + 1;
      } else if (nextLF === -1 || nextCR < nextLF) {
        end = nextCR;
        line(s, pos, end);
        pos = end + 1;
        if (pos === length) skipLF = true;
        else if (nextLF === pos) pos++;
      } else {
        end = nextLF;
        line(s, pos, end);
        pos = end + 1;
      }
      if (gen !== generation) return;
    }
    if (pos < length) {
      const rest = pos === 0 ? s : s.slice(pos);
      pending.push(rest);
      pendingSize = rest.length;
      if (dataSize + pendingSize > maxEventSize) overflow(dataSize + pendingSize);
    }
  }

  function feed(chunk: Uint8Array | string): void {
    if (failed !== undefined) throw failed;
    if (typeof chunk === 'string') {
      if (decoderDirty) {
        decoderDirty = false;
        const flushed = streamDecoder.decode();
        if (flushed !== '') text(flushed);
      }
      text(chunk);
      return;
    }
    const n = chunk.length;
    if (n === 0) return;
    const last = chunk[n - 1]!;
    if (!decoderDirty && last < 0x80) {
      // The chunk ends a UTF-8 sequence and nothing is carried over: decode it on its own, which is
      // much faster than a streaming decode. One ASCII byte needs no decoder at all.
      text(n === 1 ? String.fromCharCode(last) : wholeDecoder.decode(chunk));
      return;
    }
    decoderDirty = last >= 0x80;
    text(streamDecoder.decode(chunk, { stream: true }));
  }

  return {
    feed,
    end() {
      restart(lastEventId);
    },
    reset(resetOptions) {
      restart(resetOptions?.lastEventId ?? lastEventId);
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}

function isAsciiDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
