/** SHA-256 of a text's UTF-8 bytes (Web Crypto: the same on the Worker and on Node). */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

export function bytesToHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 of a text as 64 lowercase hex digits: what the database keys content by. */
export async function sha256Hex(text: string): Promise<string> {
  return bytesToHex(await sha256(text));
}
