import type { JobReport, StoredRows } from "../../src/ingest/job-report";
import type { IngestMessage } from "../../src/ingest/messages";
import { monotonicNow } from "../../src/lib/monotonic-clock";
import { tokenFault } from "../../src/lib/token-characters";
import {
  ACCEPTED,
  type Answer,
  checkShape,
  describeProblem,
  JOB_REPORT,
  parseJsonAnswer,
  redirectMessage,
  STORED_ROWS,
} from "./ingest-answer";
import { IngestRequestError } from "./ingest-request-error";
import { baseBeforeIngest, endpointUrl, shownUrl } from "./ingest-url";
import { unusedProxy } from "./proxy-variables";

/*
 * The ingest script's side of the Worker's ingest endpoints. Network errors, no answer, 408, 429
 * and 5xx are retried with exponential backoff or as Retry-After asks, for at most 2 minutes a
 * request: re-sending a chunk is safe, since the consumer upserts. What would answer the same
 * again (another 4xx, a redirect, a 2xx that is not JSON or not of the endpoint's shape, a failed
 * TLS handshake) fails at once.
 */

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
    const started = monotonicNow();
    for (let attempt = 1; ; attempt++) {
      let failure: string;
      let retryAfterMs = 0;
      // Whole milliseconds: AbortSignal.timeout refuses a fraction, which the monotonic clock gives.
      const timeoutMs = Math.max(
        1,
        Math.round(Math.min(ATTEMPT_TIMEOUT_MS, started + this.retryBudgetMs - monotonicNow())),
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
        if (!retriedStatus(response.status)) {
          const said = [reason, refusalHint(response.status, this.baseUrl)].filter(Boolean);
          throw new IngestRequestError(
            `${shown} answered ${response.status}${said.length ? `: ${said.join(" ")}` : ""}`,
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
        // The host unreachable may be reachable only through the proxy fetch ignored.
        const proxy = unusedProxy(url);
        if (proxy) failure = `${failure} (${proxy})`;
      }
      const wait = Math.max(Math.min(30_000, 250 * 2 ** attempt), retryAfterMs);
      if (attempt >= this.maxAttempts) {
        throw new IngestRequestError(`${shown} failed ${attempt} times; last error: ${failure}`);
      }
      if (monotonicNow() + wait - started >= this.retryBudgetMs) {
        throw new IngestRequestError(
          `${shown} failed ${attempt} time${attempt === 1 ? "" : "s"} in ${seconds(monotonicNow() - started)}; last error: ${failure}; ${
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
 * and refused, without being echoed, when no request could present it (src/lib/token-characters.ts).
 */
function headerSafeToken(token: string): string {
  const trimmed = token.trim();
  const fault = tokenFault(trimmed);
  if (fault) throw new IngestRequestError(`the token ${fault}; check INGEST_TOKEN or --token`);
  return trimmed;
}

/** What to check, added to a refusal's line: the token for a 401, --url for a 404 it explains. */
function refusalHint(status: number, baseUrl: string): string | null {
  if (status === 401) return TOKEN_HINT;
  const base = status === 404 ? baseBeforeIngest(baseUrl) : null;
  if (base === null) return null;
  const query = new URL(baseUrl).search ? " (the same query string as now)" : "";
  return `--url must be the server's base URL, not an ingest endpoint: run it with --url ${base}${query}`;
}

/**
 * A status another attempt may not get: 5xx, 429, and 408, which the Node server answers to a
 * request that did not arrive in time, before the app read it (nothing was written).
 */
function retriedStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
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
