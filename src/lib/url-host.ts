/** A host as it goes in a URL: an IPv6 address in brackets (`::1` → `[::1]`). */
function formatHost(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

// The addresses that mean every interface (as URL hosts), and the loopback one a browser opens.
const LOOPBACK_FOR_EVERY_INTERFACE = new Map([
  ["0.0.0.0", "127.0.0.1"],
  ["[::]", "[::1]"],
]);

/**
 * The URL a client on this machine reaches a server listening on `address`:`port` at.
 * `http://0.0.0.0:8788` is no URL a browser opens: an every-interface address becomes loopback.
 */
export function localUrl(address: string, port: number): string {
  return `http://${LOOPBACK_FOR_EVERY_INTERFACE.get(canonicalHost(address)) ?? formatHost(address)}:${port}`;
}

/** Whether `address` is one a server listens on for every interface (`0.0.0.0`, `::`). */
export function listensOnAllInterfaces(address: string): boolean {
  return LOOPBACK_FOR_EVERY_INTERFACE.has(canonicalHost(address));
}

/** The host as a URL spells it (`0:0:0:0:0:0:0:0` → `[::]`), or as given when it is none. */
export function canonicalHost(address: string): string {
  try {
    return new URL(`http://${formatHost(address)}/`).hostname;
  } catch {
    return address;
  }
}
