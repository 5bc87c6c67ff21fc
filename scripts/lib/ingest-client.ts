import * as v from "valibot";
import {
  AcceptedBatchSchema,
  type JobReport,
  JobReportSchema,
  type StoredRows,
  StoredRowsSchema,
} from "../../src/ingest/job-report";
import type { IngestMessage } from "../../src/ingest/messages";

/*
 * The ingest script's side of the Worker's ingest endpoints. Network errors, no answer, 429 and
 * 5xx are retried with exponential backoff or as Retry-After asks, for at most 2 minutes a request:
 * re-sending a chunk is safe, since the consumer upserts. What would answer the same again (another
 * 4xx, a redirect, a 2xx that is not JSON or not of the endpoint's shape, a failed TLS handshake)
 * fails at once.
 */

/** What each endpoint answers when it succeeds, and what to call it in an error. */
interface Answer<T> {
  schema: v.GenericSchema<unknown, T>;
  name: string;
}
const ACCEPTED: Answer<unknown> = { schema: AcceptedBatchSchema, name: "acknowledgement" };
const JOB_REPORT: Answer<JobReport> = { schema: JobReportSchema, name: "job report" };
const STORED_ROWS: Answer<StoredRows> = { schema: StoredRowsSchema, name: "summary" };

export class IngestRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "IngestRequestError";
  }
}

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
function maskedQuery(text: string): string {
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

/**
 * Added to a 401: the server's reason says the token is wrong, not that `npm start` and `npm run
 * serve`, started without one, seed with a random token they never print (README, Quickstart).
 */
const TOKEN_HINT =
  "The token must be the server's INGEST_TOKEN: npm start and npm run serve, started without one, seed with a random token of their own and never print it, so start the server with yours (docs/ingestion.md).";

/** Attempts per request: about a minute of backoff in all between them. */
const DEFAULT_MAX_ATTEMPTS = 8;
/**
 * A request is given up once its next attempt would start more than this long after its first:
 * a server that never answers, or asks (Retry-After) to wait longer, cannot hold the run for long.
 */
const DEFAULT_RETRY_BUDGET_MS = 120_000;
/** How long one attempt may wait for its answer (within the budget left). */
const ATTEMPT_TIMEOUT_MS = 60_000;

export class IngestClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly onRetry: (what: string, attempt: number, error: string) => void = () =>
      undefined,
    private readonly maxAttempts = DEFAULT_MAX_ATTEMPTS,
    private readonly retryBudgetMs = DEFAULT_RETRY_BUDGET_MS,
  ) {}

  async sendMessages(messages: IngestMessage[]): Promise<void> {
    await this.#request("POST", "/ingest/batches", ACCEPTED, { messages });
  }

  /**
   * The job's report, or null when the server knows no chunk of it (404). `deferredAfter` lists
   * its deferred loans from the first row after that one (an older server ignores it).
   */
  async job(jobId: string, deferredAfter?: number): Promise<JobReport | null> {
    const page: Record<string, string> =
      deferredAfter === undefined ? {} : { deferred_after: String(deferredAfter) };
    try {
      return await this.#request(
        "GET",
        `/ingest/jobs/${encodeURIComponent(jobId)}`,
        JOB_REPORT,
        undefined,
        page,
      );
    } catch (error) {
      if (error instanceof IngestRequestError && error.status === 404) return null;
      throw error;
    }
  }

  storedRows(): Promise<StoredRows> {
    return this.#request("GET", "/ingest/summary", STORED_ROWS);
  }

  async #request<T>(
    method: string,
    path: string,
    answer: Answer<T>,
    body?: unknown,
    query: Readonly<Record<string, string>> = {},
  ): Promise<T> {
    const url = endpointUrl(this.baseUrl, path, query);
    // What every line says of the request: the base's query values masked (shownUrl).
    const shown = `${method} ${shownUrl(url)}`;
    const token = headerSafeToken(this.token);
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let failure: string;
      let retryAfterMs = 0;
      const timeoutMs = Math.max(
        1,
        Math.min(ATTEMPT_TIMEOUT_MS, started + this.retryBudgetMs - Date.now()),
      );
      try {
        const response = await fetch(url, {
          method,
          headers: {
            Authorization: `Bearer ${token}`,
            ...(body ? { "Content-Type": "application/json" } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          // Followed, a 301 or 302 turns the POST into a GET without its body (answered 405), and
          // a redirect to another origin drops the token (answered 401): say where it points.
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.status >= 300 && response.status < 400) {
          throw new IngestRequestError(
            redirectMessage(shown, url, path, new URL(this.baseUrl).search, response),
            response.status,
          );
        }
        const text = await response.text();
        if (response.ok) {
          return checkShape(shown, response, answer, parseJsonAnswer(shown, response, text));
        }
        const reason = describeProblem(response, text);
        if (response.status !== 429 && response.status < 500) {
          const hint = response.status === 401 ? ` ${TOKEN_HINT}` : "";
          throw new IngestRequestError(
            `${shown} answered ${response.status}${reason ? `: ${reason}` : ""}${hint}`,
            response.status,
          );
        }
        // The server's reason (a full disk, a lock held too long) is what the operator can act on;
        // a proxy's 502 or 503 may have no body, and then there is none to add.
        failure = reason ? `HTTP ${response.status}: ${reason}` : `HTTP ${response.status}`;
        retryAfterMs = retryAfter(response.headers.get("retry-after"));
      } catch (error) {
        if (error instanceof IngestRequestError) throw error;
        // A TLS handshake that failed (https:// to a plain-HTTP port, a bad certificate) fails
        // the same way every time.
        const tls = tlsFailure(error) ?? (await plainHttpBehindTls(url, error));
        if (tls) throw new IngestRequestError(`${shown} failed: ${tls}`);
        failure =
          error instanceof Error && error.name === "TimeoutError"
            ? `no answer within ${seconds(timeoutMs)}`
            : networkFailure(error);
      }
      const wait = Math.max(Math.min(30_000, 250 * 2 ** attempt), retryAfterMs);
      if (attempt >= this.maxAttempts) {
        throw new IngestRequestError(`${shown} failed ${attempt} times; last error: ${failure}`);
      }
      if (Date.now() + wait - started >= this.retryBudgetMs) {
        throw new IngestRequestError(
          `${shown} failed ${attempt} time${attempt === 1 ? "" : "s"} in ${seconds(Date.now() - started)}; last error: ${failure}; ${
            retryAfterMs > 0
              ? `the server asks to wait ${Math.ceil(retryAfterMs / 1000)} s (Retry-After), past`
              : "another attempt would pass"
          } the ${seconds(this.retryBudgetMs)} the script retries a request for`,
        );
      }
      this.onRetry(`${method} ${url.pathname}`, attempt, failure);
      await sleep(wait);
    }
  }
}

/**
 * The token as sent: without the spaces or line end a paste brings (the server trims its own too),
 * and refused, without being echoed, when a header cannot carry it (a typographic quote).
 */
function headerSafeToken(token: string): string {
  const trimmed = token.trim();
  // Latin-1 letters travel as such (and match the server's copy); spaces, controls and beyond do not.
  const bad = /[^\x21-\x7e\xa1-\xff]/.exec(trimmed);
  if (bad) {
    throw new IngestRequestError(
      `the token has a character an HTTP header cannot carry at position ${bad.index + 1} (a space, a line break, a typographic quote?); check INGEST_TOKEN or --token`,
    );
  }
  return trimmed;
}

function redirectMessage(
  shown: string,
  url: URL,
  path: string,
  baseQuery: string,
  response: Response,
): string {
  const location = response.headers.get("location");
  if (!location) return `${shown} answered ${response.status} (a redirect) with no Location`;
  const target = new URL(location, url);
  // The base URL the operator meant, when the redirect keeps the endpoint's path.
  const base = target.pathname.endsWith(path)
    ? `${target.origin}${target.pathname.slice(0, -path.length)}`
    : null;
  // The --url's own query string goes with it (a gateway's key): suggested without it, the
  // operator ran into the gateway's refusal next.
  const query = baseQuery ? `${maskedQuery(baseQuery)} (the same query string as now)` : "";
  return `${shown} answered ${response.status}, a redirect to ${shownUrl(target)}: the script does not follow redirects (a POST would lose its body, the token would go to another address)${
    base ? `; run it with --url ${base}${query}` : "; check --url"
  }`;
}

function parseJsonAnswer(shown: string, response: Response, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A captive portal, a login page or another site: not the ingest endpoint, whatever it says.
    throw new IngestRequestError(
      `${shown} answered ${response.status} with ${describeBody(response, text)}, not the ingest endpoint's JSON: is --url the server's address?`,
      response.status,
    );
  }
}

/**
 * The answer as the endpoint's schema reads it. JSON of another shape (a proxy's `{}`, an older
 * release's report) used to be read as the report and crash the run with a TypeError.
 */
function checkShape<T>(shown: string, response: Response, answer: Answer<T>, json: unknown): T {
  const parsed = v.safeParse(answer.schema, json);
  if (parsed.success) return parsed.output;
  // valibot reads a list as an object without keys: say what it is instead.
  const problems = Array.isArray(json)
    ? ["the body is a list, not an object"]
    : parsed.issues.map(
        (issue) =>
          // A key the object lacks is reported on the object, as "received undefined".
          `${v.getDotPath(issue) ?? "the body"} ${issue.type === "object" && issue.received === "undefined" ? "is missing" : issue.message}`,
      );
  const first = problems.slice(0, 3).join("; ");
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : "";
  throw new IngestRequestError(
    `${shown} answered ${response.status} with JSON that is not the ingest endpoint's ${answer.name} (${first}${more}): is --url the server's address, and does the server run this release?`,
    response.status,
  );
}

/** The problem's detail and fields, or for any other body a one-line summary of it. */
function describeProblem(response: Response, text: string): string {
  try {
    const problem = JSON.parse(text) as {
      detail?: string;
      errors?: { field: string; message: string }[];
    };
    const fields = (problem.errors ?? []).slice(0, 5).map((e) => `${e.field} ${e.message}`);
    return [problem.detail, ...fields].filter(Boolean).join("; ");
  } catch {
    return text.trim() ? describeBody(response, text) : "";
  }
}

/** A proxy's or a portal's page in one line: its title, not its HTML. */
function describeBody(response: Response, text: string): string {
  const type = response.headers.get("content-type")?.split(";")[0]?.trim() || "no content type";
  if (!text.trim()) return `an empty body (${type})`;
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
  const summary = (title ?? text.replace(/<[^>]*>/g, " ")).replace(/\s+/g, " ").trim();
  const short = summary.length > 120 ? `${summary.slice(0, 120)}…` : summary;
  return title !== undefined || /html/i.test(type)
    ? `an HTML page${short ? ` "${short}"` : ""}`
    : `${type} "${short}"`;
}

/** Retry-After as milliseconds, in seconds or as an HTTP date; 0 when absent or unreadable. */
export function retryAfter(value: string | null, now = Date.now()): number {
  if (!value) return 0;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}

/** 1.5 s, 60 s. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function networkFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}

/** The code of fetch's underlying error (ECONNREFUSED, ERR_SSL_…, UND_ERR_…), if any. */
function causeCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
}

/** What a failed TLS connection means, or null for any other error. */
function tlsFailure(error: unknown): string | null {
  const code = causeCode(error);
  if (!code || !/^ERR_SSL_|^ERR_TLS_|CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return null;
  // OpenSSL's own message is a line of library internals; the code says it.
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER") {
    return "TLS handshake failed (ERR_SSL_WRONG_VERSION_NUMBER): the port answers plain HTTP? Use an http:// URL for it";
  }
  // A code means fetch's error has a cause (causeCode).
  const cause = (error as Error).cause as Error;
  return `TLS failed (${code}): ${code.startsWith("ERR_SSL_") ? "the handshake failed" : cause.message}`;
}

/**
 * https:// to a plain-HTTP port that says nothing to a TLS hello (wrangler dev's workerd waits for
 * a request line) ends in undici's 10 s connect timeout, which was retried for two minutes. One
 * plain-HTTP request to the same port, without the token, tells it from a host slow to connect.
 */
async function plainHttpBehindTls(url: URL, error: unknown): Promise<string | null> {
  if (url.protocol !== "https:" || causeCode(error) !== "UND_ERR_CONNECT_TIMEOUT") return null;
  const plain = new URL(url.origin);
  plain.protocol = "http:";
  plain.port = url.port || "443";
  try {
    const response = await fetch(plain, { redirect: "manual", signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    return `TLS handshake got no answer, and the port answers plain HTTP (${plain.href} answered ${response.status}): use an http:// URL for it`;
  } catch {
    return null;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
