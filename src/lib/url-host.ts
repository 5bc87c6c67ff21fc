/** A host as it goes in a URL: an IPv6 address in brackets (`::1` → `[::1]`). */
export function formatHost(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}
