/**
 * `npm run api-key`: makes a new API key for a lender's client and prints the digest to add to
 * the API_KEYS secret. The key itself is shown once and stored nowhere.
 */
import { randomBytes } from "node:crypto";
import { bytesToHex, sha256 } from "../src/lib/sha256";

const key = `cak_${randomBytes(32).toString("base64url")}`;
const digest = `sha256:${bytesToHex(await sha256(key))}`;

console.log(`API key (give it to the client; it is not stored anywhere):\n  ${key}\n`);
console.log(
  `Digest (add it to API_KEYS, comma-separated with the keys still in use):\n  ${digest}\n`,
);
console.log("Then: npx wrangler secret put API_KEYS   (or API_KEYS=… for npm run serve)");
