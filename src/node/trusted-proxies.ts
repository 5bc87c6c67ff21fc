/*
 * TRUSTED_PROXIES: which TCP peers of the Node server are the operator's reverse proxies, whose
 * X-Forwarded-For is believed (docs/security.md, "Behind a reverse proxy"). As nginx's
 * set_real_ip_from with real_ip_recursive on, or Express's "trust proxy": the client is the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy. Entries left of it were
 * written by whoever sent the request to the first trusted proxy, so they are never read.
 *
 * Every address is held as 16 bytes, an IPv4 one in its IPv4-mapped IPv6 form (::ffff:a.b.c.d),
 * so that an IPv4 entry also matches the peer a dual-stack listener reports as ::ffff:127.0.0.1
 * (src/lib/ip-address.ts parses and writes them).
 */

import {
  formatAddress,
  isMappedV4,
  masked,
  parseAddress,
  parseV6,
  withoutZone,
} from "../lib/ip-address";
import { fullCoverageRefusal, type WrittenRange } from "./trusted-proxies-coverage";

/** One trusted range: the first `prefix` bits of `bytes`. */
interface Range {
  bytes: Uint8Array;
  prefix: number;
}

/** The parsed setting: empty trusts no peer, and the client is always the TCP peer. */
export interface TrustedProxies {
  readonly ranges: readonly Range[];
}

export const NO_TRUSTED_PROXIES: TrustedProxies = { ranges: [] };

/** The `loopback` shorthand: 127.0.0.0/8 (and so ::ffff:127.0.0.0/104) and ::1. */
const LOOPBACK = ["127.0.0.0/8", "::1/128"];

/**
 * TRUSTED_PROXIES' value: comma-separated IPv4 or IPv6 addresses, CIDR ranges, or `loopback`.
 * Throws an Error whose message says what is wrong (the settings schema names the setting).
 */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  const ranges: WrittenRange[] = [];
  for (const raw of (value ?? "").split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const expanded = entry.toLowerCase() === "loopback" ? LOOPBACK : [entry];
    for (const range of expanded) ranges.push({ entry, ...parseRange(range) });
  }
  const refusal = fullCoverageRefusal(ranges);
  if (refusal !== null) throw new Error(refusal);
  if (ranges.length === 0) return NO_TRUSTED_PROXIES;
  return { ranges: ranges.map(({ bytes, prefix }) => ({ bytes, prefix })) };
}

function parseRange(entry: string): Range {
  const slash = entry.indexOf("/");
  const addressText = slash === -1 ? entry : entry.slice(0, slash);
  const bytes = parseAddress(addressText);
  if (bytes === null) {
    throw new Error(
      `has ${JSON.stringify(entry)}, which is not an IP address, a CIDR range (10.0.0.0/8, fd00::/8) or loopback`,
    );
  }
  const v4 = isMappedV4(bytes) && !addressText.includes(":");
  const max = v4 ? 32 : 128;
  let prefix = 128;
  if (slash !== -1) {
    const bits = entry.slice(slash + 1);
    const length = /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
    if (!(length >= 0 && length <= max)) {
      throw new Error(`has ${JSON.stringify(entry)}, whose prefix length must be 1 to ${max}`);
    }
    if (length === 0) {
      throw new Error(
        `has ${JSON.stringify(entry)}, which would trust every peer and let any client choose its address in X-Forwarded-For; name the proxies' own addresses or network`,
      );
    }
    prefix = v4 ? 96 + length : length;
    // 192.168.1.10/24 is more likely a mistaken address than a way to write 192.168.1.0/24.
    if (!hostBitsClear(bytes, prefix)) {
      throw new Error(
        `has ${JSON.stringify(entry)}, whose address has bits set past its /${length} prefix: write the network's first address (${formatAddress(masked(bytes, prefix))}/${length})`,
      );
    }
  }
  return { bytes, prefix };
}

/** Whether `address` (a socket's or an X-Forwarded-For entry's, already parsed) is trusted. */
function trusts(proxies: TrustedProxies, address: Uint8Array): boolean {
  for (const range of proxies.ranges) if (inRange(range, address)) return true;
  return false;
}

function inRange(range: Range, address: Uint8Array): boolean {
  const whole = range.prefix >> 3;
  for (let i = 0; i < whole; i++) if (range.bytes[i] !== address[i]) return false;
  const rest = range.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((range.bytes[whole] ?? 0) & mask) === ((address[whole] ?? 0) & mask);
}

/**
 * The client's address for a request the TCP peer `peer` sent. With no trusted proxies, or from a
 * peer that is not one, it is the peer, and `forwardedFor` is not called: an untrusted peer's
 * header is never read. From a trusted peer, X-Forwarded-For (every header line, joined with
 * commas in order, as Node joins them) is walked from the right past trusted addresses; the first
 * untrusted one is the client. An entry that is not an address stops the walk at the last trusted
 * hop reached, which is then the client; so does the header's left end (every hop trusted).
 * With proxies trusted, an IPv4-mapped peer is written as IPv4, as an address from the header is:
 * a client reaching the server both directly and through a proxy is one client. With none, the
 * peer is returned as the socket wrote it: no client arrives any other way.
 */
export function clientAddress(
  proxies: TrustedProxies,
  peer: string,
  forwardedFor: () => string | string[] | undefined,
): string {
  if (proxies.ranges.length === 0) return peer;
  const peerBytes = parseAddress(withoutZone(peer));
  if (peerBytes === null) return peer;
  const direct = canonicalPeer(peer, peerBytes);
  if (!trusts(proxies, peerBytes)) return direct;
  const header = forwardedFor();
  if (header === undefined) return direct;
  const text = typeof header === "string" ? header : header.join(",");
  // The last hop reached, written out once at the end: null while it is the peer.
  let hop: Uint8Array | null = null;
  let end = text.length;
  while (end > 0) {
    const comma = text.lastIndexOf(",", end - 1);
    const entry = text.slice(comma + 1, end).trim();
    end = comma === -1 ? 0 : comma;
    if (entry === "") continue;
    const bytes = parseForwarded(entry);
    if (bytes === null) break;
    hop = bytes;
    if (!trusts(proxies, bytes)) break;
  }
  return hop === null ? direct : formatAddress(hop);
}

/**
 * An X-Forwarded-For entry's address: an address as parseAddress reads it, or one with the port
 * some proxies add (Azure Application Gateway's 203.0.113.9:4711, [2001:db8::1]:4711), or an IPv6
 * one in brackets ([2001:db8::1]). Null for anything else. Scanned by hand, as parseAddress is.
 */
function parseForwarded(entry: string): Uint8Array | null {
  if (entry.charCodeAt(0) === 91) {
    // [: IPv6 in brackets, then nothing or a port.
    const close = entry.indexOf("]");
    if (close === -1 || !portOrNothingFrom(entry, close + 1)) return null;
    return parseV6(entry.slice(1, close));
  }
  const bytes = parseAddress(entry);
  if (bytes !== null) return bytes;
  // a.b.c.d:port has one colon, which no IPv6 address has.
  const colon = entry.indexOf(":");
  if (colon === -1 || !portOrNothingFrom(entry, colon)) return null;
  return parseAddress(entry.slice(0, colon));
}

/** Whether `text` from `at` on is empty or `:` and a port: 1 to 5 digits, at most 65535. */
function portOrNothingFrom(text: string, at: number): boolean {
  if (at === text.length) return true;
  if (text.charCodeAt(at) !== 58 || text.length - at < 2 || text.length - at > 6) return false;
  let port = 0;
  for (let i = at + 1; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
    port = port * 10 + digit;
  }
  return port <= 65535;
}

/**
 * The peer as formatAddress writes it, at the cost of a slice: Node writes an IPv4-mapped peer as
 * ::ffff:a.b.c.d, whose dotted tail parseAddress found canonical, and others as RFC 5952 does.
 */
function canonicalPeer(peer: string, bytes: Uint8Array): string {
  if (peer.charCodeAt(0) !== 58 || !isMappedV4(bytes)) return peer;
  const tail = peer.slice(peer.lastIndexOf(":") + 1);
  return tail.includes(".") ? tail : formatAddress(bytes);
}

function hostBitsClear(bytes: Uint8Array, prefix: number): boolean {
  const clear = masked(bytes, prefix);
  return bytes.every((byte, i) => byte === clear[i]);
}
