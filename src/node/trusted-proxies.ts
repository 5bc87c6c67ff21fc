/*
 * TRUSTED_PROXIES: which TCP peers of the Node server are the operator's reverse proxies, whose
 * X-Forwarded-For is believed (docs/security.md, "Behind a reverse proxy"). As nginx's
 * set_real_ip_from with real_ip_recursive on, or Express's "trust proxy": the client is the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy. Entries left of it were
 * written by whoever sent the request to the first trusted proxy, so they are never read.
 *
 * Every address is held as 16 bytes, an IPv4 one in its IPv4-mapped IPv6 form (::ffff:a.b.c.d),
 * so that an IPv4 entry also matches the peer a dual-stack listener reports as ::ffff:127.0.0.1.
 */

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

/** A link-local peer's `%zone` is where it was reached, not part of its address. */
function withoutZone(address: string): string {
  const percent = address.indexOf("%");
  return percent === -1 ? address : address.slice(0, percent);
}

/** An IPv4 or IPv6 address as 16 bytes (IPv4 mapped), or null for anything else. */
export function parseAddress(text: string): Uint8Array | null {
  if (text.includes(":")) return parseV6(text);
  const v4 = parseV4(text);
  if (v4 === null) return null;
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(v4, 12);
  return bytes;
}

/** Four decimal octets 0–255, no leading zeros (which some parsers read as octal). */
function parseV4(text: string): number[] | null {
  const octets: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i === text.length ? 46 : text.charCodeAt(i);
    if (code === 46) {
      // A dot, or the end: an octet of 1 to 3 digits, no leading zero, at most 255.
      if (digits === 0 || value > 255 || octets.length === 4) return null;
      octets.push(value);
      value = 0;
      digits = 0;
      continue;
    }
    const digit = code - 48;
    if (digit < 0 || digit > 9 || digits === 3 || (digits === 1 && value === 0)) return null;
    value = value * 10 + digit;
    digits++;
  }
  return octets.length === 4 ? octets : null;
}

/** The value of a hex digit's character code, or -1. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/**
 * Eight groups of 1–4 hex digits separated by colons, one `::` standing for one or more zero
 * groups, the last two groups possibly written as an IPv4 address (::ffff:192.0.2.1). Scanned by
 * hand: a request from a trusted proxy parses several of these.
 */
function parseV6(text: string): Uint8Array | null {
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let count = 0;
  // Where `::` stands, as the number of groups before it; -1 for none.
  let gap = -1;
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return null;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    if (count === 8) return null;
    const start = i;
    let value = 0;
    let digits = 0;
    for (let digit = hexDigit(text.charCodeAt(i)); digit !== -1; ) {
      if (++digits > 4) return null;
      value = value * 16 + digit;
      digit = hexDigit(text.charCodeAt(++i));
    }
    if (text.charCodeAt(i) === 46) {
      // A dot: this group starts an IPv4 address, which ends the text as two groups.
      const v4 = count <= 6 ? parseV4(text.slice(start)) : null;
      if (v4 === null) return null;
      const [a = 0, b = 0, c = 0, d = 0] = v4;
      groups[count++] = a * 256 + b;
      groups[count++] = c * 256 + d;
      break;
    }
    if (digits === 0) return null;
    groups[count++] = value;
    if (i === n) break;
    if (text.charCodeAt(i) !== 58) return null;
    i++;
    if (text.charCodeAt(i) === 58) {
      if (gap !== -1) return null;
      gap = count;
      i++;
    } else if (i === n) {
      return null; // a single colon at the end
    }
  }
  // Without `::` exactly eight groups; with it, `::` stands for at least one.
  if (gap === -1 ? count !== 8 : count > 7) return null;
  const zeros = gap === -1 ? 0 : 8 - count;
  const bytes = new Uint8Array(16);
  for (let g = 0; g < count; g++) {
    const at = gap !== -1 && g >= gap ? g + zeros : g;
    const group = groups[g] ?? 0;
    bytes[2 * at] = group >> 8;
    bytes[2 * at + 1] = group & 0xff;
  }
  return bytes;
}

function isMappedV4(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let bit = 0; bit < prefix; bit++) {
    const i = bit >> 3;
    out[i] = (out[i] ?? 0) | ((bytes[i] ?? 0) & (0x80 >> (bit & 7)));
  }
  return out;
}

function hostBitsClear(bytes: Uint8Array, prefix: number): boolean {
  const clear = masked(bytes, prefix);
  return bytes.every((byte, i) => byte === clear[i]);
}

/**
 * The canonical text of an address: dotted IPv4 for an IPv4 or IPv4-mapped one, else RFC 5952's
 * IPv6 (lower case, the longest run of two or more zero groups as `::`). One client written two
 * ways by two proxies is one client.
 */
export function formatAddress(bytes: Uint8Array): string {
  if (isMappedV4(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLength).join(":");
  return `${left}::${right}`;
}
