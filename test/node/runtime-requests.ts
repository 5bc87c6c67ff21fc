import type { Runtime } from "../../src/node/runtime";

/** A JSON POST to an in-process runtime, as a client sends it. */
export function postTo(
  runtime: Runtime,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return runtime.fetch(
    new Request(`http://127.0.0.1${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    }),
  );
}

/** A GET to an in-process runtime. */
export function getFrom(runtime: Runtime, path: string): Promise<Response> {
  return runtime.fetch(new Request(`http://127.0.0.1${path}`));
}
