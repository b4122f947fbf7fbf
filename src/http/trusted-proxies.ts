/**
 * The client's address behind reverse proxies. Only proxies the operator lists are believed: the
 * `Forwarded` (RFC 7239) and `X-Forwarded-For` headers are read only when the direct peer is one
 * of them, and the chain in them is walked from the right (the hop nearest the hub) while each
 * hop is trusted; the first untrusted address is the client. Anything else (an untrusted peer, a
 * malformed header, two headers that disagree) gives the peer's own address, so a client can
 * never pick its own address, only fall back to the proxy's.
 */
import { BlockList, isIP, SocketAddress } from 'node:net';

/** Headers longer than this are not read (a chain of a hundred hops fits in far less). */
export const MAX_FORWARDED_HEADER = 8 * 1024;

/** Names usable in a trusted-proxy list for common ranges. */
const PRESETS: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
};

type Family = 'ipv4' | 'ipv6';

/**
 * An address in one spelling: IPv4 dotted, IPv6 compressed lowercase without a zone, an
 * IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) as plain IPv4. Undefined when not an address.
 */
export function canonicalAddress(address: string): string | undefined {
  const version = isIP(address);
  if (version === 4) return address;
  if (version !== 6) return undefined;
  const canonical = new SocketAddress({ address, family: 'ipv6' }).address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(canonical);
  return mapped ? mapped[1]! : canonical;
}

function familyOf(address: string): Family {
  return isIP(address) === 4 ? 'ipv4' : 'ipv6';
}

/** A node in a forwarded chain: an address, or a hop that would not or could not say (`unknown`, `_hidden`). */
type Hop = string | null;

/** Splits on `sep` outside double quotes (with `\` escapes inside them); undefined on an unclosed quote. */
function splitOutsideQuotes(text: string, sep: string): string[] | undefined {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) return undefined;
  parts.push(text.slice(start));
  return parts;
}

/**
 * A node as proxies write it: `1.2.3.4`, `1.2.3.4:8080`, `[2001:db8::1]`, `[2001:db8::1]:8080`,
 * a bare IPv6 address, or `unknown`/`_obfuscated` (a null hop). Undefined when malformed.
 */
function parseNode(text: string): Hop | undefined {
  if (text === 'unknown' || /^_[\w.-]+$/.test(text)) return null;
  let host = text;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}|_[\w.-]+))?$/.exec(text);
  if (bracketed) host = bracketed[1]!;
  else {
    const withPort = /^(\d+\.\d+\.\d+\.\d+):(\d{1,5}|_[\w.-]+)$/.exec(text);
    if (withPort) host = withPort[1]!;
  }
  if (host.includes('%')) return undefined;
  return canonicalAddress(host);
}

/** The `for=` nodes of a `Forwarded` header, leftmost first; undefined when malformed. */
export function forwardedChain(header: string): Hop[] | undefined {
  if (header.length > MAX_FORWARDED_HEADER) return undefined;
  const elements = splitOutsideQuotes(header, ',');
  if (elements === undefined) return undefined;
  const chain: Hop[] = [];
  for (const element of elements) {
    const pairs = splitOutsideQuotes(element, ';')!;
    let hop: Hop | undefined;
    let seen = false;
    for (const pair of pairs) {
      const text = pair.trim();
      if (text === '') continue;
      const eq = text.indexOf('=');
      if (eq <= 0) return undefined;
      const name = text.slice(0, eq).trim().toLowerCase();
      let value = text.slice(eq + 1).trim();
      if (value.startsWith('"')) {
        if (value.length < 2 || !value.endsWith('"')) return undefined;
        value = value.slice(1, -1).replace(/\\(.)/g, '$1');
      } else if (!/^[^\s"]+$/.test(value)) return undefined;
      if (name !== 'for') continue;
      if (seen) return undefined;
      seen = true;
      hop = parseNode(value);
      if (hop === undefined) return undefined;
    }
    // An element without `for=` is a hop that did not say whom it heard from.
    chain.push(seen ? hop! : null);
  }
  return chain;
}

/** The nodes of an `X-Forwarded-For` header, leftmost first; undefined when malformed. */
export function xForwardedForChain(header: string): Hop[] | undefined {
  if (header.length > MAX_FORWARDED_HEADER) return undefined;
  const chain: Hop[] = [];
  for (const part of header.split(',')) {
    const hop = parseNode(part.trim());
    if (hop === undefined) return undefined;
    chain.push(hop);
  }
  return chain;
}

/** The forwarding headers of a request, as the transport found them (several joined with ", "). */
export interface ForwardedHeaders {
  readonly forwarded?: string | null | undefined;
  readonly xForwardedFor?: string | null | undefined;
}

/** A parse failure of a trusted-proxy list, in one line. */
export class TrustedProxyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrustedProxyError';
  }
}

/**
 * The proxies whose forwarding headers are believed: addresses and CIDR ranges, IPv4 or IPv6
 * (`10.0.0.0/8`, `::1`, `fd00::/8`, `::ffff:10.0.0.0/104`), and the names `loopback`, `private`
 * and `linklocal`. An empty list trusts no one: every request's client is its peer.
 */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  /** Takes entries as an array, or as one string separated by commas or spaces (an environment variable). */
  constructor(entries: string | readonly string[]) {
    const list = typeof entries === 'string' ? entries.split(/[\s,]+/) : entries;
    let count = 0;
    for (const raw of list) {
      const entry = raw.trim();
      if (entry === '') continue;
      for (const item of PRESETS[entry.toLowerCase()] ?? [entry]) this.#add(item);
      count++;
    }
    this.#empty = count === 0;
  }

  #add(entry: string): void {
    const slash = entry.indexOf('/');
    const text = slash === -1 ? entry : entry.slice(0, slash);
    const address = canonicalAddress(text);
    const shown = JSON.stringify(entry.slice(0, 60));
    if (address === undefined || text.includes('%')) {
      throw new TrustedProxyError(
        `${shown} is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1, loopback)`,
      );
    }
    const family = familyOf(address);
    if (slash === -1) {
      this.#list.addAddress(address, family);
      return;
    }
    const prefixText = entry.slice(slash + 1);
    let prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    // ::ffff:a.b.c.d/N was canonicalized to IPv4: its prefix counts the 96 bits of the mapping.
    if (family === 'ipv4' && isIP(text) === 6) prefix = prefix >= 96 ? prefix - 96 : Number.NaN;
    const max = family === 'ipv4' ? 32 : 128;
    if (!(prefix >= 0 && prefix <= max)) {
      throw new TrustedProxyError(`${shown} has a bad prefix length: 0 to ${max} after the slash`);
    }
    this.#list.addSubnet(address, prefix, family);
  }

  /** Whether an address is one of the trusted proxies. */
  has(address: string): boolean {
    if (this.#empty) return false;
    const canonical = canonicalAddress(address);
    return canonical !== undefined && this.#list.check(canonical, familyOf(canonical));
  }

  /** The client's address for a request from `peer` (the socket's remote address), canonical. */
  clientAddress(peer: string, headers: ForwardedHeaders): string {
    const direct = canonicalAddress(peer) ?? peer;
    if (!this.has(direct)) return direct;
    const { forwarded, xForwardedFor } = headers;
    const fromForwarded = forwarded ? this.#walk(direct, forwardedChain(forwarded)) : undefined;
    const fromXff = xForwardedFor ? this.#walk(direct, xForwardedForChain(xForwardedFor)) : undefined;
    if (fromForwarded !== undefined && fromXff !== undefined && fromForwarded !== fromXff) return direct;
    return fromForwarded ?? fromXff ?? direct;
  }

  /** From the right, while the hop is trusted, step to the address it says it heard from. */
  #walk(direct: string, chain: Hop[] | undefined): string {
    if (chain === undefined) return direct;
    let client = direct;
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = chain[i]!;
      if (hop === null) return client;
      client = hop;
      if (!this.has(client)) return client;
    }
    return client;
  }
}
