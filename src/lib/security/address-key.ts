import { formatAddress, isMappedV4, masked, parseAddress, withoutZone } from "../ip-address";

/**
 * The bits of an IPv6 address that name one subscriber: an ISP hands each customer at least a /64,
 * whose 2^64 addresses a caller can rotate through at will.
 */
const SUBSCRIBER_PREFIX = 64;

/**
 * The write limit's key for a caller counted by its address (docs/security.md, "The write rate
 * limit"): an IPv4 address (or IPv4-mapped IPv6, the same client) as itself, an IPv6 one as its
 * /64, written as RFC 5952 does (`ip:2001:db8:1:2::/64`), however the runtime spelled it. Text that
 * is not an address is kept as it is; none at all is `ip:unknown`.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return "ip:unknown";
  const bytes = parseAddress(withoutZone(address));
  if (bytes === null) return `ip:${address}`;
  if (isMappedV4(bytes)) return `ip:${formatAddress(bytes)}`;
  return `ip:${formatAddress(masked(bytes, SUBSCRIBER_PREFIX))}/${SUBSCRIBER_PREFIX}`;
}
