/**
 * Reading cookies from a `Cookie` request header (RFC 6265 section 5.4 as browsers send it:
 * `name=value` pairs separated by `;`), leniently: stray spaces and tabs, pairs without `=`, empty
 * pieces and a value in double quotes are all taken in stride. Values are returned as sent, not
 * percent-decoded (a JWT or a ticket never needs it).
 */

/** The cookie a subscriber token is read from unless configured otherwise. */
export const DEFAULT_AUTH_COOKIE = 'herald_auth';

/** Longer headers are ignored whole (Node's default limit for all headers together is 16 KiB). */
export const MAX_COOKIE_HEADER = 16 * 1024;

/** RFC 7230 token characters: what a cookie name may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `name` can be a cookie's name (for checking a configured name once, at startup). */
export function isCookieName(name: string): boolean {
  return TOKEN.test(name);
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Trims spaces and tabs (only: other characters are kept so nothing is silently changed). */
function trim(text: string, start: number, end: number): string {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/**
 * Every cookie of a header, by name; when a name repeats, the first wins (browsers send the
 * cookie with the longest path first). Empty for no header or one over the size bound.
 */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header == null || header.length > MAX_COOKIE_HEADER) return cookies;
  let start = 0;
  while (start <= header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      const name = trim(header, start, eq);
      if (name !== '' && !cookies.has(name)) cookies.set(name, unquote(trim(header, eq + 1, end)));
    }
    start = end + 1;
  }
  return cookies;
}

/** One cookie's value (the first, when the name repeats), or undefined. */
export function cookieValue(header: string | null | undefined, name: string): string | undefined {
  if (header == null || header.length > MAX_COOKIE_HEADER || !header.includes(name)) return undefined;
  return parseCookies(header).get(name);
}
