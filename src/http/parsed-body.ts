import { HeraldError } from '../hub/refusal.js';
import { tooLarge } from './read-body.js';
import type { NodeRequest } from './response-sink.js';

const MOUNT_FIX = 'mount the hub before body parsers (app.use(path, hub.handler) first)';

function misconfigured(cause: string): HeraldError {
  return new HeraldError('misconfigured', `${cause}: ${MOUNT_FIX}, or set req.body to the parsed body`);
}

/** Did the request announce a body (what a parser in front may have read)? */
function announcedBody(req: NodeRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function mediaType(req: NodeRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * A flat form object (what `express.urlencoded({extended: false})` gives) as form text again;
 * nested values (`extended: true`, `a[b]=c`) cannot be told from the fields the client sent.
 */
function formText(body: Record<string, unknown>): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    const values = Array.isArray(value) ? value : [value];
    for (const one of values) {
      if (typeof one !== 'string')
        throw misconfigured(
          `a body parser in front read the form with nested values (field "${name}"; urlencoded extended: true)`,
        );
      form.append(name, one);
    }
  }
  return form.toString();
}

/** The parser's result as the bytes the hub reads: Buffer and string as they are, objects re-encoded. */
function bytesOf(req: NodeRequest, body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  const type = mediaType(req);
  if (typeof body === 'object' && body !== null) {
    // A JSON parser's object is the JSON the client sent, parsed: its text says the same.
    if (type === 'application/json' || type.endsWith('+json'))
      return Buffer.from(JSON.stringify(body), 'utf8');
    if (type === 'application/x-www-form-urlencoded' && !Array.isArray(body))
      return Buffer.from(formText(body as Record<string, unknown>), 'utf8');
  }
  throw misconfigured(
    `a body parser in front read the ${type || 'untyped'} body into something the hub cannot read`,
  );
}

/**
 * The body of a request whose stream a framework already read (Express with express.json(), a
 * Koa or Fastify body parser): the parser's `req.body`, or a refusal naming the cause and the fix
 * instead of reading an ended stream as an empty body. Undefined when the stream is still unread.
 */
export function bodyReadInFront(req: NodeRequest, limit: number): Buffer | undefined {
  if (!req.readableEnded) return undefined;
  const body = (req as { body?: unknown }).body;
  if (body === undefined) {
    if (!announcedBody(req)) return Buffer.alloc(0);
    throw misconfigured('the request body was read before the hub saw it, and req.body is not set');
  }
  const bytes = bytesOf(req, body);
  if (bytes.length > limit) throw tooLarge(limit);
  return bytes;
}
