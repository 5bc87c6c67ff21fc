/*
 * TRUSTED_PROXIES' guard against trusting everyone (docs/security.md, "Behind a reverse proxy"):
 * ranges that between them hold every IPv4 peer, or every IPv6 address on the internet, would make
 * X-Forwarded-For every client's own word, however innocent each range looks alone
 * (0.0.0.0/1,128.0.0.0/1; ::/64, which holds ::ffff:0:0/96, where IPv4 peers are matched).
 * Runs once, at start, so it counts in BigInt rather than bytes.
 */

/** One setting entry as written, and one range it stands for (`loopback` stands for two). */
export interface WrittenRange {
  entry: string;
  bytes: Uint8Array;
  prefix: number;
}

interface Block {
  first: bigint;
  last: bigint;
  /** The block, as the refusal says it. */
  named: string;
}

const IPV4_PEERS: Block = {
  first: 0xffff_0000_0000n,
  last: 0xffff_ffff_ffffn,
  named: "::ffff:0:0/96, where IPv4 peers are matched",
};

const IPV6_INTERNET: Block = {
  first: 0x2n << 124n,
  last: (0x4n << 124n) - 1n,
  named: "2000::/3, the global unicast addresses",
};

/**
 * The message for ranges that together hold every IPv4 peer or every global IPv6 address (after
 * the setting's name), or null when some address of each is left out: a range short of that,
 * however large (0.0.0.0/1), is the operator's choice.
 */
export function fullCoverageRefusal(ranges: readonly WrittenRange[]): string | null {
  // In the setting's order, for naming the entries; sorted by first address, for the sweep.
  const spans = ranges.map((range) => ({ entry: range.entry, ...span(range.bytes, range.prefix) }));
  const sorted = [...spans].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const covered = [IPV4_PEERS, IPV6_INTERNET].filter((block) => coversBlock(sorted, block));
  if (covered.length === 0) return null;
  const peers = [
    covered.includes(IPV4_PEERS) ? "every IPv4 peer" : "",
    covered.includes(IPV6_INTERNET) ? "every IPv6 internet peer" : "",
  ].filter(Boolean);
  // The entries as written, in the setting's order, that reach into a covered block.
  const entries = new Set<string>();
  for (const { entry, first, last } of spans) {
    if (covered.some((block) => first <= block.last && last >= block.first)) {
      entries.add(JSON.stringify(entry));
    }
  }
  const blocks = covered.map((block) => block.named).join(", and ");
  const verb = covered.length === 1 ? "is" : "are";
  const example = covered.includes(IPV4_PEERS) ? "10.0.0.0/8" : "fd00::/8";
  return `trusts ${peers.join(" and ")} (${blocks}, ${verb} covered by ${[...entries].join(", ")}), which would let any client choose its address in X-Forwarded-For; name only the proxies' own addresses or networks, such as ${example}`;
}

function span(bytes: Uint8Array, prefix: number): { first: bigint; last: bigint } {
  let first = 0n;
  for (const byte of bytes) first = (first << 8n) | BigInt(byte);
  return { first, last: first + (1n << BigInt(128 - prefix)) - 1n };
}

/** Whether `spans`, sorted by their first address, leave no address of `block` out. */
function coversBlock(spans: readonly { first: bigint; last: bigint }[], block: Block): boolean {
  // The first address of the block not yet known to be covered.
  let next = block.first;
  for (const { first, last } of spans) {
    if (first > next) break;
    if (last >= next) next = last + 1n;
    if (next > block.last) return true;
  }
  return false;
}
