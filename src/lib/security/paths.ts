/*
 * Which requests the security middleware guards. Paths are compared without the optional /api
 * prefix and trailing slash, the same way the router serves them.
 */

/**
 * Open to everyone: the API index, its documentation, the console's static files, and the
 * operations endpoints (health checks carry no data; /metrics has its own token).
 */
const PUBLIC_PATHS = new Set([
  "/",
  "/api",
  "/docs",
  "/openapi.json",
  "/healthz",
  "/readyz",
  "/metrics",
]);
const PUBLIC_PREFIXES = ["/vendor/", "/console", "/ingest/", "/ingest"];

/** The writes that the rate limit protects (make-payment's path carries its ids). */
const WRITE_PATHS = new Set(["/register", "/create-loan"]);
const WRITE_PREFIXES = ["/make-payment/"];

function normalisedPath(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  if (trimmed === "/api") return trimmed;
  return trimmed.startsWith("/api/") ? trimmed.slice(4) : trimmed;
}

/** The ingest endpoints are not public: they check their own token. */
export function needsApiKey(path: string): boolean {
  const normal = normalisedPath(path);
  if (PUBLIC_PATHS.has(normal)) return false;
  return !PUBLIC_PREFIXES.some((prefix) => normal.startsWith(prefix));
}

export function isRateLimitedWrite(method: string, path: string): boolean {
  if (method !== "POST") return false;
  const normal = normalisedPath(path);
  return WRITE_PATHS.has(normal) || WRITE_PREFIXES.some((prefix) => normal.startsWith(prefix));
}

/** The one POST that writes nothing: it decides a loan from what is stored. */
const READ_ONLY_POSTS = new Set(["/check-eligibility"]);

/**
 * API requests that only read, which a read replica may serve: the API's GETs (and HEADs) and
 * check-eligibility. Ingest's GETs are not among them: they report the queue consumer's writes.
 */
export function isReadOnlyApiRequest(method: string, path: string): boolean {
  if (!needsApiKey(path)) return false;
  if (method === "GET" || method === "HEAD") return true;
  return method === "POST" && READ_ONLY_POSTS.has(normalisedPath(path));
}
