/*
 * IP addresses as 16 bytes, an IPv4 one in its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so that one
 * client written as IPv4 or as mapped IPv6 is one value. Shared by the Node server's
 * TRUSTED_PROXIES walk (src/node/trusted-proxies.ts) and the write limit's key on both runtimes
 * (src/lib/security/address-key.ts): one parser, so both read an address the same way.
 */

/** A link-local peer's `%zone` is where it was reached, not part of its address. */
export function withoutZone(address: string): string {
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
 * hand: a request from a trusted proxy parses several of these, and every limited write one.
 */
export function parseV6(text: string): Uint8Array | null {
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

/** Whether the address is IPv4 (held as ::ffff:a.b.c.d). */
export function isMappedV4(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** The address with every bit past the first `prefix` cleared: its network's first address. */
export function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let bit = 0; bit < prefix; bit++) {
    const i = bit >> 3;
    out[i] = (out[i] ?? 0) | ((bytes[i] ?? 0) & (0x80 >> (bit & 7)));
  }
  return out;
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
