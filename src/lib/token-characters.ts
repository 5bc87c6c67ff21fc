/*
 * Which bearer tokens a request can present at all, for the server's settings (INGEST_TOKEN,
 * METRICS_TOKEN, refused at start) and the ingest script's token (refused before any request),
 * in the same words. The token is taken with its surrounding blanks trimmed, on both sides.
 */

/** Blanks JavaScript's `\s` knows: the bearer parse (bearer-token.ts) ends a token at one. */
const BLANK = /\s/;
/**
 * Visible ASCII and the Latin-1 letters, which fetch sends as such and the server reads back the
 * same; controls, line breaks and characters past Latin-1 cannot travel in a header.
 */
const HEADER_SAFE = /[\x21-\x7e\xa1-\xff]/;

/**
 * Why no request could present `token` (already trimmed), as the rest of a sentence whose subject
 * names it ("INGEST_TOKEN …", "the token …"), or null. It names a position, never the token.
 */
export function tokenFault(token: string): string | null {
  for (const [index, character] of [...token].entries()) {
    if (HEADER_SAFE.test(character)) continue;
    if (BLANK.test(character) && !/[\r\n\v\f\u2028\u2029]/.test(character)) {
      return `has a blank (a space, a tab, a no-break space) at position ${index + 1}: a bearer token is one word (Authorization: Bearer <token>), so no request can match it`;
    }
    return `has a character an HTTP header cannot carry at position ${index + 1} (a line break, a control character, a typographic quote?)`;
  }
  return null;
}
