import type { PublishInput } from '../hub/event-rules.js';
import { HeraldError } from '../hub/refusal.js';
import { parseJsonPublish } from './publish-body.js';

/** A batch body read: its events, and the line each came from (for refusals that name it). */
export interface BatchBody {
  readonly inputs: PublishInput[];
  /** `lines[i]` is the 1-based line of `inputs[i]`. */
  readonly lines: number[];
}

/**
 * Reads an `application/x-ndjson` publish body: one JSON event a line, with the fields of a JSON
 * publish; lines that are blank (or only whitespace) are skipped, CRLF endings are taken, the last
 * newline is optional. A line that is not a valid event refuses the whole batch (400) by its number.
 */
export function parseBatchBody(body: Buffer): BatchBody {
  const text = body.toString('utf8');
  const inputs: PublishInput[] = [];
  const lines: number[] = [];
  let start = 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const content = text.slice(start, end);
    start = end + 1;
    if (content.trim() === '') continue;
    try {
      inputs.push(parseJsonPublish(content));
    } catch (error) {
      if (!(error instanceof HeraldError)) throw error;
      throw new HeraldError(
        error.code,
        `line ${line}: ${error.message} (nothing in the batch was published)`,
      );
    }
    lines.push(line);
  }
  if (inputs.length === 0)
    throw new HeraldError('invalid', 'the batch has no events: send one JSON event a line');
  return { inputs, lines };
}
