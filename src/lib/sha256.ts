/** A SHA-256 of a text's UTF-8 bytes, as 32 bytes. */
export type Sha256 = (text: string) => Uint8Array | Promise<Uint8Array>;

/** Web Crypto: the Worker's, and any runtime's that gives no other. */
export const webCryptoSha256: Sha256 = async (text) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));

let implementation: Sha256 = webCryptoSha256;

/**
 * Installs the runtime's own SHA-256 for this process. The Node server gives node:crypto's, which
 * hashes in the calling thread (about 2 µs); Node's Web Crypto hands each digest to its thread
 * pool and back, 60–170 µs of CPU in a request (docs/performance.md, round 22).
 */
export function useSha256(runtimeSha256: Sha256): void {
  implementation = runtimeSha256;
}

/** The implementation in use, for the test that each runtime installs its own. */
export function sha256InUse(): Sha256 {
  return implementation;
}

/** SHA-256 of a text's UTF-8 bytes (the same digest whichever implementation computes it). */
export async function sha256(text: string): Promise<Uint8Array> {
  return implementation(text);
}

export function bytesToHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 of a text as 64 lowercase hex digits: what the database keys content by. */
export async function sha256Hex(text: string): Promise<string> {
  return bytesToHex(await sha256(text));
}
