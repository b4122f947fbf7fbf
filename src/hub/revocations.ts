import type { Grant } from './authorizer.js';
import { HeraldError } from './refusal.js';

/** What a revocation names: every token of a subject issued until now, or one token by its id. */
export type Revocation = { readonly subject: string } | { readonly tokenId: string };

/** A revocation as the log carries it between the hubs of a cluster. */
export interface RevocationRecord {
  readonly subject?: string;
  readonly tokenId?: string;
  /** When it was made (ms since the Unix epoch): tokens of the subject issued until then are refused. */
  readonly at: number;
}

export interface RevocationLimits {
  /** How long a revocation is kept (ms): at least the longest lifetime of the tokens you issue. */
  readonly keepMs: number;
  /** Revocations kept at most; past it new ones are refused rather than old ones forgotten. */
  readonly max: number;
}

export const DEFAULT_REVOCATION_LIMITS: RevocationLimits = { keepMs: 24 * 3600_000, max: 100_000 };

const MAX_NAME_LENGTH = 256;

/**
 * Revocations travel between the hubs of a cluster through the log, on a topic of the hub's own:
 * never delivered, and no one may subscribe to it (a system topic is matched by name only, so no
 * root wildcard reaches it either).
 */
export const REVOCATION_TOPIC = '$HERALD/revocations';

/** Topics under `$HERALD/` carry the hub's own records: nobody subscribes to them. */
export function isHubOnlyTopic(selector: string): boolean {
  return selector === '$HERALD' || selector.startsWith('$HERALD/');
}

/** Checks what a caller asked to revoke; throws 'invalid' with the reason. */
export function checkRevocation(input: unknown): Revocation {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new HeraldError('invalid', 'a revocation is an object: {"subject": "..."} or {"tokenId": "..."}');
  const fields = Object.keys(input);
  const value = input as Record<string, unknown>;
  if (fields.length !== 1 || (fields[0] !== 'subject' && fields[0] !== 'tokenId'))
    throw new HeraldError(
      'invalid',
      'a revocation names exactly one of "subject" (the sub claim) or "tokenId" (the jti claim)',
    );
  const name = value[fields[0]];
  if (typeof name !== 'string' || name === '' || name.length > MAX_NAME_LENGTH)
    throw new HeraldError(
      'invalid',
      `${fields[0]} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
    );
  return fields[0] === 'subject' ? { subject: name } : { tokenId: name };
}

/**
 * Revoked subjects and token ids, each kept for `keepMs` (a token issued before the revocation
 * has expired by then, if no token lives longer), bounded in count. A subject's token is refused
 * when it was issued at or before the revocation, or says nothing of when it was issued (`iat`
 * is in whole seconds: a token minted in the same second as the revocation is refused too).
 */
export class Revocations {
  /** Subject -> when it was revoked; in insertion order, which is expiry order. */
  readonly #subjects = new Map<string, number>();
  readonly #tokens = new Map<string, number>();

  constructor(private readonly limits: RevocationLimits = DEFAULT_REVOCATION_LIMITS) {}

  get size(): number {
    return this.#subjects.size + this.#tokens.size;
  }

  /** Throws 'unavailable' when no more can be kept (checked before a revocation is made). */
  checkRoom(): void {
    if (this.size >= this.limits.max)
      throw new HeraldError(
        'unavailable',
        `the hub keeps at most ${this.limits.max} revocations and has that many: they expire ${Math.round(this.limits.keepMs / 3600_000)} h after they were made`,
        { retryAfterMs: 60_000 },
      );
  }

  /** Records a revocation (again, from the log, is harmless: the later time wins). */
  add(record: RevocationRecord): void {
    const map = record.subject !== undefined ? this.#subjects : this.#tokens;
    const name = record.subject ?? record.tokenId;
    if (name === undefined) return;
    map.delete(name);
    map.set(name, record.at);
  }

  /** Is a grant's token revoked? */
  refuses(grant: Grant): boolean {
    if (this.size === 0) return false;
    if (grant.tokenId !== undefined && this.#tokens.has(grant.tokenId)) return true;
    if (grant.subject === undefined) return false;
    const at = this.#subjects.get(grant.subject);
    return at !== undefined && (grant.issuedAt === undefined || grant.issuedAt <= at);
  }

  /** Every revocation kept, oldest first per kind. */
  *records(): Iterable<RevocationRecord> {
    for (const [subject, at] of this.#subjects) yield { subject, at };
    for (const [tokenId, at] of this.#tokens) yield { tokenId, at };
  }

  /** When a revocation made at `at` is forgotten. */
  until(at: number): number {
    return at + this.limits.keepMs;
  }

  /** Forgets revocations older than `keepMs` (the hub's tick). */
  sweep(now: number): void {
    for (const map of [this.#subjects, this.#tokens]) {
      for (const [name, at] of map) {
        if (now - at < this.limits.keepMs) break;
        map.delete(name);
      }
    }
  }
}

/** Reads a revocation record back from its JSON (the log's and the kept records' form). */
export function parseRevocationRecord(json: string): RevocationRecord | undefined {
  try {
    const record = JSON.parse(json) as Partial<Record<keyof RevocationRecord, unknown>>;
    if (typeof record.at !== 'number') return undefined;
    if (typeof record.subject === 'string') return { subject: record.subject, at: record.at };
    if (typeof record.tokenId === 'string') return { tokenId: record.tokenId, at: record.at };
  } catch {
    // not a revocation
  }
  return undefined;
}

/** Does a revocation name the token behind this grant? (For ending open streams.) */
export function revocationCovers(
  revocation: RevocationRecord,
  grant: Pick<Grant, 'subject' | 'tokenId' | 'issuedAt'>,
): boolean {
  if (revocation.tokenId !== undefined) return grant.tokenId === revocation.tokenId;
  return (
    grant.subject === revocation.subject && (grant.issuedAt === undefined || grant.issuedAt <= revocation.at)
  );
}
