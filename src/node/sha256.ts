import { createHash } from "node:crypto";
import type { Sha256 } from "../lib/sha256";

/**
 * node:crypto's SHA-256, computed in the calling thread. It encodes a lone surrogate as U+FFFD,
 * as TextEncoder does, so every text gets Web Crypto's digest (test/node-server/sha256.node.test.ts).
 */
export const nodeSha256: Sha256 = (text) => createHash("sha256").update(text, "utf8").digest();
