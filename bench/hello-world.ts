/**
 * The ceiling of `npm run bench`: Hono's "hello world" on @hono/node-server, one process, started
 * like the API server (tsx, same Node). Every endpoint's req/s is reported as a share of this
 * one's at the same connection count, which makes figures from different machines comparable.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.text("Hello"));

const server = serve(
  { fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0) },
  (info) => console.log(`ready: API http://127.0.0.1:${info.port}`),
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
