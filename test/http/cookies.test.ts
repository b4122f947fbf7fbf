import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  cookieValue,
  DEFAULT_AUTH_COOKIE,
  isCookieName,
  MAX_COOKIE_HEADER,
  parseCookies,
} from '../../src/http/cookies.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJoZXJhbGQiOnt9fQ.c2lnbmF0dXJl';

describe('cookie header parsing', () => {
  it('finds a cookie among several, however spaced', () => {
    const cases: Array<[string, string | undefined]> = [
      [`herald_auth=${JWT}`, JWT],
      [`a=1; herald_auth=${JWT}; b=2`, JWT],
      [`a=1;herald_auth=${JWT};b=2`, JWT],
      [`a=1 ;\therald_auth = ${JWT} \t; b=2`, JWT],
      [`herald_auth="${JWT}"`, JWT],
      ['herald_auth=""', ''],
      ['herald_auth=', ''],
      ['herald_auth="', '"'],
      ['x_herald_auth=1; herald_auth_x=2', undefined],
      ['HERALD_AUTH=1', undefined],
      ['herald_auth', undefined],
      [';;; ; herald_auth=v;;', 'v'],
      ['junk; =nameless; herald_auth=v', 'v'],
      ['herald_auth=a=b=c', 'a=b=c'],
      ['', undefined],
    ];
    for (const [header, expected] of cases)
      assert.equal(cookieValue(header, 'herald_auth'), expected, header);
    assert.equal(cookieValue(null, 'herald_auth'), undefined);
    assert.equal(cookieValue(undefined, 'herald_auth'), undefined);
    assert.equal(DEFAULT_AUTH_COOKIE, 'herald_auth');
  });

  it('takes the first of duplicates (the browser sends the most specific path first)', () => {
    assert.equal(cookieValue('herald_auth=new; other=x; herald_auth=old', 'herald_auth'), 'new');
    assert.deepEqual(
      [...parseCookies('a=1; b=2; a=3; c="q"')],
      [
        ['a', '1'],
        ['b', '2'],
        ['c', 'q'],
      ],
    );
  });

  it('ignores a header over the size bound', () => {
    const padding = `pad=${'x'.repeat(MAX_COOKIE_HEADER)}`;
    assert.equal(cookieValue(`herald_auth=v; ${padding}`, 'herald_auth'), undefined);
    assert.equal(parseCookies(`herald_auth=v; ${padding}`).size, 0);
    const fits = `herald_auth=v; pad=${'x'.repeat(MAX_COOKIE_HEADER - 30)}`;
    assert.equal(cookieValue(fits, 'herald_auth'), 'v');
  });

  it('checks cookie names', () => {
    for (const name of ['herald_auth', 'a', '__Host-herald', 'x.y']) assert.ok(isCookieName(name), name);
    for (const name of ['', 'a b', 'a=b', 'a;b', 'ä', 'a"b', 'a,b']) assert.ok(!isCookieName(name), name);
  });

  const name = fc.stringMatching(/^[A-Za-z0-9_!#$%&'*+.^`|~-]{1,12}$/);
  // cookie-octet: printable ASCII but space, DQUOTE, comma, semicolon and backslash.
  const value = fc.stringMatching(/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{0,40}$/);
  const space = fc.constantFrom('', ' ', '  ', '\t');

  it('property: every cookie of a well-formed header is found, the first of each name', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ name, value, quoted: fc.boolean(), before: space, after: space }), {
          minLength: 1,
          maxLength: 12,
        }),
        (cookies) => {
          const header = cookies
            .map((c) => `${c.before}${c.name}=${c.quoted ? `"${c.value}"` : c.value}${c.after}`)
            .join(';');
          const expected = new Map<string, string>();
          for (const c of cookies) if (!expected.has(c.name)) expected.set(c.name, c.value);
          assert.deepEqual(parseCookies(header), expected);
          for (const [n, v] of expected) assert.equal(cookieValue(header, n), v);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: any header at all parses without throwing, into names and values without ";"', () => {
    fc.assert(
      fc.property(
        fc.string({
          maxLength: 100,
          unit: fc.constantFrom(';', '=', '"', ' ', '\t', 'a', 'b', ',', '\\', '\u00e9', '\0'),
        }),
        (header) => {
          for (const [n, v] of parseCookies(header)) {
            assert.ok(n !== '' && !n.includes(';') && !n.includes('='));
            assert.ok(!v.includes(';'));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
