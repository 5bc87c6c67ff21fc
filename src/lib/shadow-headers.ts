/**
 * Makes a request's `headers` read as `headers`, keeping the request itself: workerd's request
 * headers are immutable, and a copy made with `new Request(request, { headers })` takes the body
 * over (src/worker/request-headers.ts says what that broke). Configurable, so that a later step
 * can shadow them again: the Worker trims every value first, then a JSON route names its
 * Content-Type (src/lib/json-media-type.ts); a second definition of a fixed property threw, a 500.
 */
export function shadowHeaders(request: Request, headers: Headers): void {
  Object.defineProperty(request, "headers", { value: headers, configurable: true });
}
