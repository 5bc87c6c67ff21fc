import { sha256 } from "../sha256";

/*
 * Optional API keys for the lender's clients. The `API_KEYS` secret holds SHA-256 digests, never
 * keys: `sha256:<64 hex>` entries separated by commas, so several keys can be active at once while
 * one is rotated out. Keys are long random strings (scripts/api-key.ts makes them), so an unsalted
 * fast hash is enough: there is nothing to guess from a digest.
 */

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** How an operator runs the API open on purpose, said by every refusal of a keyless value. */
const OPEN_ON_PURPOSE = "or leave API_KEYS unset to run the API open on purpose";

/** The digests of `setting`; only an absent setting (undefined) means an open API. */
export function parseApiKeyDigests(setting: string | undefined): Uint8Array[] {
  if (setting === undefined) return [];
  // `API_KEYS=` in an env file, `API_KEYS=$KEYS` with KEYS unset: meant keys, like commas alone.
  if (!setting.trim()) {
    throw new Error(`is blank: give sha256:<64 hex digits> entries, ${OPEN_ON_PURPOSE}`);
  }
  const entries = setting
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  // `$KEY_A,$KEY_B` with both unset: set, yet no key, which would leave the API open.
  if (entries.length === 0) {
    throw new Error(
      `has no entry, only commas: give sha256:<64 hex digits> entries, ${OPEN_ON_PURPOSE}`,
    );
  }
  return entries.map((entry) => {
    const hex = DIGEST.exec(entry)?.[1];
    // A mistyped secret must not silently open the API: refuse to serve instead.
    if (!hex) throw new Error("entries must look like sha256:<64 hex digits>");
    return hexToBytes(hex);
  });
}

/** Compares against every digest without stopping early, so timing tells nothing. */
export async function isKnownKey(key: string, digests: readonly Uint8Array[]): Promise<boolean> {
  const presented = await sha256(key);
  let matches = false;
  for (const digest of digests) matches = bytesEqual(digest, presented) || matches;
  return matches;
}

/** Constant-time equality of two byte strings (all bytes are always compared). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
