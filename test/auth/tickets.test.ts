import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptTickets, TicketBook } from '../../src/auth/tickets.js';
import type { Authorizer, Grant } from '../../src/hub/authorizer.js';
import { HeraldError } from '../../src/hub/refusal.js';
import { parseSelector } from '../../src/hub/topic-selector.js';
import { manualClock } from './helpers.js';

function grant(expiresAt?: number, subject = 'u1'): Grant {
  return { publish: [], subscribe: [parseSelector(`users/${subject}/**`)], expiresAt, subject };
}

function refusedWith(fn: () => unknown, reason: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof HeraldError);
    assert.equal(error.code, 'unauthenticated');
    assert.match(error.message, reason);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

describe('tickets', () => {
  it('are random, url-safe and redeemed once for the grant they carry', () => {
    const book = new TicketBook();
    const g = grant();
    const issued = book.issue(g);
    assert.deepEqual(Object.keys(issued).sort(), ['expiresIn', 'ticket']);
    assert.equal(issued.expiresIn, 30);
    assert.match(issued.ticket, /^[A-Za-z0-9_-]{32}$/, '192 bits in base64url');
    assert.equal(encodeURIComponent(issued.ticket), issued.ticket);
    assert.equal(book.redeem(issued.ticket), g);
    refusedWith(() => book.redeem(issued.ticket), /^the ticket has already been used/);
    const many = new Set(Array.from({ length: 1000 }, () => book.issue(g).ticket));
    assert.equal(many.size, 1000);
  });

  it('expire after their lifetime, and never outlive the grant', () => {
    const clock = manualClock();
    const book = new TicketBook({ lifetimeSeconds: 30, now: clock.now });
    const { ticket } = book.issue(grant());
    clock.advance(29_999);
    assert.ok(book.redeem(ticket));
    const late = book.issue(grant());
    clock.advance(30_000);
    refusedWith(
      () => book.redeem(late.ticket),
      /^the ticket is unknown or has expired \(tickets last 30 s\): get a new one$/,
    );

    // A grant ending in 10.5 s gets a ticket for 10 s, and the grant keeps its own expiry.
    const ending = grant(clock.now() + 10_500);
    const short = book.issue(ending);
    assert.equal(short.expiresIn, 10);
    clock.advance(10_499);
    assert.equal(book.redeem(short.ticket).expiresAt, ending.expiresAt);
    const shorter = book.issue(grant(clock.now() + 5_000));
    clock.advance(5_000);
    refusedWith(() => book.redeem(shorter.ticket), /unknown or has expired/);
    refusedWith(() => book.issue(grant(clock.now() + 999)), /expires within a second/);
    refusedWith(() => book.issue(grant(clock.now() - 1)), /expires within a second/);
  });

  it('stay within their bound, dropping the oldest, and are swept without timers', () => {
    const clock = manualClock();
    const book = new TicketBook({ maxOutstanding: 3, now: clock.now });
    const first = book.issue(grant());
    const others = [book.issue(grant()), book.issue(grant()), book.issue(grant())];
    assert.equal(book.size, 3);
    assert.equal(book.dropped, 1);
    refusedWith(() => book.redeem(first.ticket), /unknown or has expired/);
    for (const { ticket } of others) book.redeem(ticket);
    assert.equal(book.size, 3, 'used tickets are remembered until they expire, to say so');
    clock.advance(30_000);
    book.sweep();
    assert.equal(book.size, 0);

    const big = new TicketBook({ now: clock.now });
    assert.equal(big.maxOutstanding, 100_000);
    for (let i = 0; i < 2000; i++) big.issue(grant());
    clock.advance(15_000);
    for (let i = 0; i < 1000; i++) big.issue(grant());
    clock.advance(15_000);
    big.issue(grant());
    assert.equal(big.size, 1001, 'the first 2000 went on the next issue after they expired');
  });

  it('refuses malformed and unknown tickets in plain words', () => {
    const book = new TicketBook();
    refusedWith(() => book.redeem(''), /^the ticket is malformed/);
    refusedWith(() => book.redeem('a'.repeat(33)), /malformed/);
    refusedWith(() => book.redeem('a\nb'), /malformed/);
    refusedWith(() => book.redeem('A'.repeat(32)), /unknown or has expired/);
    assert.throws(() => new TicketBook({ lifetimeSeconds: 0 }), RangeError);
    assert.throws(() => new TicketBook({ maxOutstanding: 0 }), RangeError);
  });

  it('are taken by an authorizer that passes every other credential on', async () => {
    const book = new TicketBook();
    const seen: string[] = [];
    const tokens: Authorizer = {
      async verify(credential) {
        seen.push(`${credential.source}:${credential.token}`);
        return grant(undefined, 'from-token');
      },
    };
    const authorizer = acceptTickets(tokens, book);
    const { ticket } = book.issue(grant(undefined, 'from-ticket'));
    assert.equal((await authorizer.verify({ token: ticket, source: 'ticket' })).subject, 'from-ticket');
    await assert.rejects(authorizer.verify({ token: ticket, source: 'ticket' }), /already been used/);
    assert.equal((await authorizer.verify({ token: 'jwt', source: 'ambient' })).subject, 'from-token');
    // A ticket is not a token: sent as one, it goes to the token authorizer, never to the book.
    await authorizer.verify({ token: book.issue(grant()).ticket, source: 'bearer' });
    assert.deepEqual(
      seen.map((s) => s.replace(/:.*/, '')),
      ['ambient', 'bearer'],
    );
  });
});
