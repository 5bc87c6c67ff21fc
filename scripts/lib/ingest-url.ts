import { IngestRequestError } from "./ingest-request-error";

/*
 * The --url the ingest script is given: each endpoint's URL built on it, refused before any request
 * when it cannot serve, and shown in every line with its password and query values masked.
 */

/**
 * The endpoint under the base URL, keeping the base's own path: a Worker behind a proxy at
 * https://lender.example/credit is reached at /credit/ingest/..., not /ingest/.... A query string
 * the base carries (a gateway's `?key=…`) is sent on every request, as written, and the endpoint's
 * own parameters (`deferred_after`) come after it: the job report's next page used to be asked for
 * without it, and the gateway refused it.
 */
export function endpointUrl(
  baseUrl: string,
  path: string,
  query: Readonly<Record<string, string>> = {},
): URL {
  // Refused before any attempt: ftp:// was retried a minute long, and a missing scheme was only
  // "Invalid URL".
  // So is one with an "@" the parse did not take as the end of a user name and password: a
  // password with a raw "/" of digits before it (`https://ops:123/pw@host`) parsed as host "ops".
  const url = URL.canParse(baseUrl) ? new URL(baseUrl) : null;
  if (url === null || !/^https?:$/.test(url.protocol) || hasStrayAt(baseUrl, url)) {
    const why = /[/?#]/.test(userinfoOf(baseUrl) ?? "")
      ? ': what comes before its last "@" (shown as ***) is not a user name and password as a URL writes them (a "/", "#", "?" or "@" in one must be percent-encoded: %2F, %23, %3F, %40), and the script cannot send them anyway (it sends only its bearer token): leave them out of --url or INGEST_URL'
      : "";
    throw new IngestRequestError(
      `the server's address ${JSON.stringify(shownUrl(baseUrl))} is not an http:// or https:// URL (--url or INGEST_URL)${why}`,
    );
  }
  // fetch refuses such a URL: it was retried a minute long, the password in every line.
  if (url.username || url.password) {
    throw new IngestRequestError(
      `the server's address "${shownUrl(baseUrl)}" carries a user name or password, which the script cannot send (it sends only its bearer token): leave them out of --url or INGEST_URL`,
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, "") + path;
  // Appended, not set through searchParams, which would write the base's query again in its own
  // encoding (`a%20b` as `a+b`, `sig=x=` as `sig=x%3D`): a signed query must reach the gateway as
  // the operator wrote it.
  const own = new URLSearchParams(query).toString();
  if (own) url.search = url.search ? `${url.search}&${own}` : own;
  // Never sent: not shown either.
  url.hash = "";
  return url;
}

/**
 * The base URL the operator meant when --url names an ingest endpoint (`https://host/ingest`,
 * pasted from a request line) instead of the server: its path up to the `ingest` segment, its
 * query string masked (shownUrl); null for any other --url. Suggested on a 404, not applied: a
 * proxy may serve the app under a base path of /ingest.
 */
export function baseBeforeIngest(baseUrl: string): string | null {
  const url = new URL(baseUrl);
  const segments = url.pathname.split("/");
  const at = segments.indexOf("ingest");
  if (at === -1) return null;
  return shownUrl(`${url.origin}${segments.slice(0, at).join("/")}${url.search}`);
}

/** The script's own query parameters: shown as they are. */
const OWN_PARAMETERS = new Set(["deferred_after"]);

/**
 * The base URL, or a URL built on it, as printed and reported: a password in it is shown as `***`,
 * and so is each value of its query string but the script's own (a gateway's `?key=…` is a
 * credential the script cannot tell from any other parameter). In a URL with an "@" that its parse
 * does not take as the end of a user name and password (`hasStrayAt`: one that does not parse, or
 * parses with the "@" in its path, query or fragment), what comes before the last "@" is taken as
 * the user name and password: the password is shown as `***`, and the user name too when that
 * text has a "/", "?" or "#" (`https://ops:pa/ss@host` as `https://***@host`), since a password
 * with one of them ends only there. The earlier masking took a password to end at the first "/",
 * "?" or "#", and printed such a URL whole.
 */
export function shownUrl(url: string | URL): string {
  if (typeof url !== "string") return shownUrl(url.href);
  const parsed = URL.canParse(url) ? new URL(url) : null;
  const userinfo = hasStrayAt(url, parsed) ? userinfoOf(url) : undefined;
  if (userinfo !== undefined) {
    const at = url.lastIndexOf("@");
    const colon = userinfo.indexOf(":");
    const shown = /[/?#]/.test(userinfo)
      ? "***"
      : colon === -1
        ? userinfo
        : `${userinfo.slice(0, colon)}:***`;
    // After a "?" or "#" the text past the "@" may be the rest of a query (`?user=a@b&key=K`),
    // whose values maskedQuery cannot find without their "?": none of it is shown.
    const rest = /[?#]/.test(userinfo) ? "" : maskedQuery(url.slice(at));
    return `${url.slice(0, at - userinfo.length)}${shown}${rest}`;
  }
  if (parsed === null || !parsed.password) return maskedQuery(url);
  parsed.password = "***";
  return maskedQuery(parsed.href);
}

/**
 * The text has an "@" its parse (`parsed`, null when it does not parse) did not take as the end of
 * a user name and password: the text after the "@" may be read as the host, path, query or
 * fragment while what comes before it is the rest of a password.
 */
function hasStrayAt(text: string, parsed: URL | null): boolean {
  if (!text.includes("@")) return false;
  return parsed === null || `${parsed.pathname}${parsed.search}${parsed.hash}`.includes("@");
}

/** What comes before the text's last "@", after its scheme and `//` if any; undefined without "@". */
function userinfoOf(text: string): string | undefined {
  const at = text.lastIndexOf("@");
  if (at === -1) return undefined;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(text)?.[0] ?? "";
  return text.slice(scheme.length, at);
}

/**
 * The query string's values as `***`, but the script's own, and a part without `=` wholly; its
 * names and its bytes otherwise.
 */
export function maskedQuery(text: string): string {
  return text.replace(
    /\?([^#]*)/,
    (_whole, query: string) =>
      `?${query
        .split("&")
        .map((part) => {
          const equals = part.indexOf("=");
          // A part without a name (`?s3cret`) may be the key itself.
          if (equals === -1) return part && "***";
          const name = part.slice(0, equals);
          return OWN_PARAMETERS.has(name) ? part : `${name}=***`;
        })
        .join("&")}`,
  );
}
