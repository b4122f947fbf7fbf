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
const CR = 13;
const COLON = 58;
const SPACE = 32;
const BOM = 0xfeff;
const PENDING_CONCAT = 1024;
const DATA_CONCAT = 64 * 1024;

/** Creates a streaming event-stream parser. See {@link Parser}. */
export function createParser(options: ParserOptions): Parser {
  const { onEvent, onRetry, onComment } = options;
  const maxEventSize = options.maxEventSize ?? Number.POSITIVE_INFINITY;
  if (!(maxEventSize > 0)) throw new RangeError('maxEventSize must be a positive number');

  // Decoding. ignoreBOM: the parser strips the one leading BOM itself, for bytes and strings alike.
  // Bytes: a chunk that starts and ends on a UTF-8 sequence boundary (nothing carried over, last
  // byte ASCII) is decoded on its own, by Node's fast non-streaming path; any other goes through a
  // streaming decoder, which then holds the start of a split sequence until the next chunk.
  const streamDecoder = new TextDecoder();
  primeStreamDecoder(streamDecoder);
  // True when streamDecoder may hold the start of an unfinished UTF-8 sequence.
  let decoderDirty = false;
  // True until the first character of the stream has been seen.
  let atStart = true;

  // The unfinished line, kept as fragments and joined once its line ending arrives (linear time).
  // pendingSize > 0 exactly when there is one: its first fragment, then any others.
  let pendingHead = '';
  const pendingMore: string[] = [];
  let pendingSize = 0;
  // The previous chunk ended in CR: a LF starting the next chunk belongs to that line ending.
  let skipLF = false;

  // The event being built. Its data lines, each followed by LF (so that a line read straight from a
  // chunk is one slice that takes its LF along), are concatenated while the event is small
  // (cheapest: the engine builds a rope), then kept apart in moreData and joined once at dispatch,
  // so that an event of any size costs linear time even where concatenation would copy.
  let firstData = '';
  const moreData: string[] = [];
  // firstData is the event's one data line without its LF (read by pushData).
  let firstBare = false;
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
    firstBare = false;
    if (moreData.length > 0) moreData.length = 0;
    dataCount = 0;
    dataSize = 0;
    eventType = '';
  }

  function clearPending(): void {
    pendingHead = '';
    if (pendingMore.length > 0) pendingMore.length = 0;
    pendingSize = 0;
  }

  /**
   * Keeps the unfinished line `rest` (not empty) for the next chunk. Short lines grow by
   * concatenation (cheapest for a line cut into a few small chunks, and a copy of at most
   * PENDING_CONCAT characters even where an engine copies); past that, fragments go to an array
   * joined once, so that a line arriving in thousands of chunks costs linear time in any engine.
   */
  function keep(rest: string): void {
    if (pendingSize === 0) pendingHead = rest;
    else if (pendingSize < PENDING_CONCAT && pendingMore.length === 0) pendingHead += rest;
    else pendingMore.push(rest);
    pendingSize += rest.length;
    if (dataSize + pendingSize > maxEventSize) overflow(dataSize + pendingSize);
  }

  function restart(newLastEventId: string): void {
    generation++;
    if (decoderDirty) {
      streamDecoder.decode(); // forget the unfinished sequence
      primeStreamDecoder(streamDecoder);
      decoderDirty = false;
    }
    atStart = true;
    clearPending();
    skipLF = false;
    clearEvent();
    lastEventId = newLastEventId;
    idBuffer = newLastEventId;
    failed = undefined;
  }

  function overflow(size: number): never {
    failed = new ParseError(maxEventSize, size);
    const error = failed;
    clearPending();
    clearEvent();
    generation++;
    throw error;
  }

  /** Appends a data line; `size` is the length of the whole line with its line ending. */
  function pushData(value: string, size: number): void {
    if (dataCount !== 0) {
      pushLine(`${value}\n`, size);
      return;
    }
    // The first line is kept without its LF, which a lone line (the commonest event) never needs.
    dataSize += size;
    if (dataSize + pendingSize > maxEventSize) overflow(dataSize + pendingSize);
    firstData = value;
    firstBare = true;
    dataCount = 1;
  }

  /** Appends a data line's value followed by LF (`size`: as for pushData). */
  function pushLine(valueLF: string, size: number): void {
    dataSize += size;
    if (dataSize + pendingSize > maxEventSize) overflow(dataSize + pendingSize);
    if (firstBare) {
      firstData += '\n';
      firstBare = false;
    }
    if (dataCount === 0) firstData = valueLF;
    else if (moreData.length === 0 && dataSize < DATA_CONCAT) firstData += valueLF;
    else moreData.push(valueLF);
    dataCount++;
  }

  /** An event of one data line (`size`: that line's length with its line ending), no data before. */
  function single(data: string, size: number): void {
    if (size + pendingSize > maxEventSize) overflow(size + pendingSize);
    lastEventId = idBuffer;
    const type = eventType === '' ? 'message' : eventType;
    eventType = '';
    onEvent({ type, data, lastEventId });
  }

  /** A blank line: commit the last event ID, and dispatch when there is data. */
  function dispatch(): void {
    lastEventId = idBuffer;
    if (dataCount === 0) {
      eventType = '';
      return;
    }
    let data = firstData;
    if (!firstBare) {
      const all = moreData.length === 0 ? firstData : firstData + moreData.join('');
      data = all.slice(0, all.length - 1);
    }
    const type = eventType === '' ? 'message' : eventType;
    clearEvent();
    onEvent({ type, data, lastEventId });
  }

  /**
   * Interprets the line `s[start, end)` (without its line ending; not empty). `data:` lines, the
   * commonest, are recognised here by character code; this function stays small enough for the
   * optimizing compiler to inline it into the scanning loop.
   */
  function line(s: string, start: number, end: number): void {
    const c = s.charCodeAt(start);
    if (c === 100 && isDataField(s, start)) {
      pushData(s.slice(s.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5, end), end - start + 1);
    } else {
      otherLine(s, start, end, c);
    }
  }

  /** Any line but a `data:` line; `c` is its first character code. */
  function otherLine(s: string, start: number, end: number, c: number): void {
    // Fast paths for `event:`, `id:` and comments, by character code rather than by slicing the name.
    if (c === 101) {
      // event:
      if (
        s.charCodeAt(start + 5) === COLON &&
        s.charCodeAt(start + 1) === 118 &&
        s.charCodeAt(start + 2) === 101 &&
        s.charCodeAt(start + 3) === 110 &&
        s.charCodeAt(start + 4) === 116
      ) {
        eventType = s.slice(s.charCodeAt(start + 6) === SPACE ? start + 7 : start + 6, end);
        return;
      }
    } else if (c === 105) {
      // id:
      if (s.charCodeAt(start + 2) === COLON && s.charCodeAt(start + 1) === 100) {
        const from = s.charCodeAt(start + 3) === SPACE ? start + 4 : start + 3;
        if (noNul(s, from, end)) idBuffer = s.slice(from, end);
        return;
      }
    } else if (c === COLON) {
      if (onComment !== undefined) {
        onComment(s.slice(s.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1, end));
      }
      return;
    }
    // Any other line: the name runs to the first colon (or the whole line), the value after it.
    const whole = s.slice(start, end);
    const colon = whole.indexOf(':');
    if (colon === -1) field(whole, '', whole.length + 1);
    else
      field(
        whole.slice(0, colon),
        whole.slice(whole.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1),
        whole.length + 1,
      );
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

  /** Parses decoded text: whole lines are interpreted, an unfinished one waits in `pending`. */
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
    let nextLF = s.indexOf('\n', pos);
    let nextCR = s.indexOf('\r', pos);
    if (pendingSize > 0) {
      // The end of the unfinished line, if this chunk has it: join its fragments once.
      const end = nextCR === -1 || (nextLF !== -1 && nextLF < nextCR) ? nextLF : nextCR;
      if (end === -1) {
        keep(pos === 0 ? s : s.slice(pos));
        return;
      }
      const tail = s.slice(pos, end);
      const joined =
        pendingMore.length === 0 ? pendingHead + tail : pendingHead + pendingMore.join('') + tail;
      clearPending();
      line(joined, 0, joined.length);
      if (gen !== generation) return;
      pos = end + 1;
      if (end === nextCR) {
        // CRLF is one line ending, even when the LF comes in the next chunk.
        if (pos === length) skipLF = true;
        else if (nextLF === pos) pos++;
      }
      if (nextLF !== -1 && nextLF < pos) nextLF = s.indexOf('\n', pos);
    }
    if (nextCR === -1) {
      // No CR in this chunk (the usual case): lines end at each LF.
      while (nextLF !== -1) {
        if (nextLF === pos) dispatch();
        else {
          // line(s, pos, nextLF), written out to catch the commonest event: one data line and its
          // blank line, dispatched at once.
          const c = s.charCodeAt(pos);
          if (c === 100 && isDataField(s, pos)) {
            const from = s.charCodeAt(pos + 5) === SPACE ? pos + 6 : pos + 5;
            if (dataCount === 0 && s.charCodeAt(nextLF + 1) === LF) {
              single(s.slice(from, nextLF), nextLF - pos + 1);
              nextLF++;
            } else pushLine(s.slice(from, nextLF + 1), nextLF - pos + 1);
          } else if (c === 105 && s.charCodeAt(pos + 2) === COLON && s.charCodeAt(pos + 1) === 100) {
            const from = s.charCodeAt(pos + 3) === SPACE ? pos + 4 : pos + 3;
            if (noNul(s, from, nextLF)) idBuffer = s.slice(from, nextLF);
          } else otherLine(s, pos, nextLF, c);
        }
        pos = nextLF + 1;
        if (gen !== generation) return;
        nextLF = s.indexOf('\n', pos);
      }
    } else {
      // The next CR and LF at or after pos (-1: none left), each searched for again only once pos
      // has passed it, so the chunk is scanned at most twice whatever its lines.
      while (pos < length) {
        if (nextLF !== -1 && nextLF < pos) nextLF = s.indexOf('\n', pos);
        if (nextCR !== -1 && nextCR < pos) nextCR = s.indexOf('\r', pos);
        let end: number;
        let next: number;
        if (nextCR === -1 || (nextLF !== -1 && nextLF < nextCR)) {
          if (nextLF === -1) break;
          end = nextLF;
          next = end + 1;
        } else {
          end = nextCR;
          next = end + 1;
          if (next === length) skipLF = true;
          else if (nextLF === next) next++;
        }
        if (end === pos) dispatch();
        else line(s, pos, end);
        pos = next;
        if (gen !== generation) return;
      }
    }
    if (pos < length) {
      keep(pos === 0 ? s : s.slice(pos));
    }
  }

  function feed(chunk: Uint8Array | string): void {
    if (failed !== undefined) throw failed;
    if (typeof chunk === 'string') {
      if (pendingSize > 0 && chunk.length <= 16 && !decoderDirty && !hasLineEnd(chunk)) {
        keep(chunk);
        return;
      }
      if (decoderDirty) {
        // Text after bytes that stopped inside a UTF-8 sequence: that sequence is broken.
        const broken = streamDecoder.decode();
        primeStreamDecoder(streamDecoder);
        decoderDirty = false;
        text(broken);
      }
      text(chunk);
      return;
    }
    const n = chunk.length;
    if (n === 0) return;
    const last = chunk[n - 1]!;
    if (!decoderDirty && last < 0x80) {
      text(decodeWhole(chunk));
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

// The fast TextDecoder path of Node.js is the one that strips a leading BOM (ignoreBOM false); the
// parser strips the stream's BOM itself, so bytes starting with one go to the decoder that keeps it.
const fastDecoder = new TextDecoder();
const bomKeepingDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Decodes bytes that end on a UTF-8 sequence boundary (or are broken there: U+FFFD). */
function decodeWhole(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n === 1 && bytes[0]! < 0x80) return String.fromCharCode(bytes[0]!);
  if (n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return bomKeepingDecoder.decode(bytes);
  return fastDecoder.decode(bytes);
}

/**
 * A streaming TextDecoder strips a BOM at the start of its stream; the parser strips the stream's
 * BOM itself, so the decoder is started on one byte first (its output dropped) and never strips.
 * (With ignoreBOM set, Node's decoder takes a slower path.)
 */
function primeStreamDecoder(decoder: TextDecoder): void {
  decoder.decode(PRIMER, { stream: true });
}
const PRIMER = Uint8Array.of(0x41);

/** Whether the line at `pos` (its first character known to be `d`) starts with `data:`. */
function isDataField(s: string, pos: number): boolean {
  return (
    s.charCodeAt(pos + 4) === COLON &&
    s.charCodeAt(pos + 1) === 97 &&
    s.charCodeAt(pos + 2) === 116 &&
    s.charCodeAt(pos + 3) === 97
  );
}

/** Whether `s[start, end)` holds no U+0000 (an ID with one is ignored). */
function noNul(s: string, start: number, end: number): boolean {
  if (end - start > 32) return s.slice(start, end).indexOf('\0') === -1;
  for (let i = start; i < end; i++) if (s.charCodeAt(i) === 0) return false;
  return true;
}

/** Whether the short string `s` holds a CR or LF (a loop of charCodeAt beats indexOf on a few characters). */
function hasLineEnd(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF || c === CR) return true;
  }
  return false;
}

function isAsciiDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
