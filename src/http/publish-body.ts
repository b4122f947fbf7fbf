import type { PublishInput } from '../hub/event-rules.js';
import { refuseUnknownPublishFields } from '../hub/publish-fields.js';
import { HeraldError, quote } from '../hub/refusal.js';

const MEDIA_FORM = 'application/x-www-form-urlencoded';
const MEDIA_JSON = 'application/json';
const MEDIA_NDJSON = 'application/x-ndjson';

// Publishers send the same Content-Type on every request, and a publish asks for it three times.
let lastContentType: string | null = null;
let lastMediaType = '';

function mediaType(contentType: string | null): string {
  if (contentType !== lastContentType) {
    lastMediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    lastContentType = contentType;
  }
  return lastMediaType;
}

/** The fields of a form or JSON publish body, in the order a refusal lists them; any other is refused. */
export const PUBLISH_BODY_FIELDS: readonly string[] = ['topic', 'data', 'type', 'retry', 'private'];

const JSON_HINT = `the body looks like JSON: send Content-Type: ${MEDIA_JSON}`;

/** Does a body start like a JSON object or array (what a publisher meant as JSON)? */
function looksLikeJson(body: Buffer): boolean {
  const text = body.toString('utf8', 0, Math.min(body.length, 64)).trimStart();
  return text.startsWith('{') || text.startsWith('[');
}

/** Is the body a batch, one JSON event a line (`application/x-ndjson`)? */
export function isBatchMediaType(contentType: string | null): boolean {
  return mediaType(contentType) === MEDIA_NDJSON;
}

/** Is it worth reading a refused body to say why (no Content-Type, or text/plain: often JSON)? */
export function mayHintMediaType(contentType: string | null): boolean {
  const type = mediaType(contentType);
  return type === '' || type === 'text/plain';
}

/**
 * Refuses (415, with the reason) a body `parsePublishBody` cannot read, before it is read; with the
 * body (read for `mayHintMediaType` types), a JSON body gets the hint to send its Content-Type.
 */
export function checkPublishMediaType(contentType: string | null, body?: Buffer): void {
  const type = mediaType(contentType);
  if (type !== MEDIA_FORM && type !== MEDIA_JSON && type !== MEDIA_NDJSON) {
    const given = type === '' ? 'no Content-Type' : `unsupported Content-Type ${quote(type)}`;
    if (body !== undefined && looksLikeJson(body))
      throw new HeraldError('unsupported-media', `${given}; ${JSON_HINT}`);
    throw new HeraldError(
      'unsupported-media',
      `${given}: use ${MEDIA_FORM} or ${MEDIA_JSON} (${MEDIA_NDJSON} for a batch)`,
    );
  }
}

function parseRetry(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,10}$/.test(value)) return Number(value);
  throw new HeraldError('invalid', 'retry must be a non-negative integer (milliseconds)');
}

function parsePrivate(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return false;
  if (value === true) return true;
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'on' || v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0' || v === 'off') return false;
  }
  throw new HeraldError('invalid', 'private must be true or false');
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new HeraldError('invalid', `${field} must be a string`);
  return value;
}

function parseForm(body: Buffer): PublishInput {
  const form = new URLSearchParams(body.toString('utf8'));
  // `curl -d '{"topic": ...}'` sends JSON as a form: say so rather than "at least one topic".
  if (!form.has('topic') && looksLikeJson(body)) {
    throw new HeraldError('invalid', `the form body has no topic field; ${JSON_HINT} (curl -d sends a form)`);
  }
  refuseUnknownPublishFields(form.keys(), PUBLISH_BODY_FIELDS);
  return {
    topics: form.getAll('topic'),
    data: form.get('data') ?? '',
    type: optionalString(form.get('type'), 'type'),
    retry: parseRetry(form.get('retry') ?? undefined),
    private: parsePrivate(form.get('private') ?? undefined),
  };
}

/** Deeper JSON than this is refused before it is parsed (re-serializing it would overflow the stack). */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of arrays and objects in JSON text (strings skipped); linear, no allocation. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Reads one JSON publish (a body, or a line of a batch) into a PublishInput. Throws 400. */
export function parseJsonPublish(text: string): PublishInput {
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new HeraldError('invalid', `JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HeraldError('invalid', `body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HeraldError('invalid', 'JSON body must be an object like {"topic": "a/b", "data": ...}');
  }
  const o = value as Record<string, unknown>;
  refuseUnknownPublishFields(Object.keys(o), PUBLISH_BODY_FIELDS);
  const topic = o.topic;
  if (!(typeof topic === 'string' || (Array.isArray(topic) && topic.every((t) => typeof t === 'string')))) {
    throw new HeraldError('invalid', 'topic must be a string or an array of strings');
  }
  // Any JSON value is accepted as data and sent as its JSON text; a string is sent as is.
  const data = o.data === undefined ? '' : typeof o.data === 'string' ? o.data : JSON.stringify(o.data);
  return {
    topics: topic,
    data,
    type: optionalString(o.type, 'type'),
    retry: parseRetry(o.retry),
    private: parsePrivate(o.private),
  };
}

/** Reads a publish request body (form or JSON, per DESIGN) into a PublishInput. Throws 400/415. */
export function parsePublishBody(contentType: string | null, body: Buffer): PublishInput {
  checkPublishMediaType(contentType);
  return mediaType(contentType) === MEDIA_FORM ? parseForm(body) : parseJsonPublish(body.toString('utf8'));
}
