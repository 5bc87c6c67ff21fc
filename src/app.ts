import { type Context, Hono } from "hono";
import { except } from "hono/combine";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppBindings, AppVariables } from "./app-env";
import type { Database } from "./db/client";
import { isValidIsoDate, todayUtc } from "./domain/dates";
import { declaredBodyLimit } from "./lib/body-limit";
import { identityEncodingOnly } from "./lib/content-encoding";
import { createRouter } from "./lib/create-router";
import { docsPage } from "./lib/docs-page";
import { onError, onNotFound } from "./lib/error-handler";
import { payloadTooLargeProblem, problemResponse } from "./lib/problem";
import { parseApiKeyDigests } from "./lib/security/api-keys";
import { configurableCors } from "./lib/security/cors";
import { apiAccess } from "./lib/security/middleware";
import { needsApiKey } from "./lib/security/paths";
import { customersRouter } from "./routes/customers/customers.index";
import { decisionsRouter } from "./routes/decisions/decisions.index";
import { eligibilityRouter } from "./routes/eligibility/eligibility.index";
import { ingestRouter } from "./routes/ingest/ingest.index";
import { loansRouter } from "./routes/loans/loans.index";

export const MAX_BODY_BYTES = 64 * 1024;

/** The API's routes, once; the app serves them at the root and under /api. */
export function createApi() {
  const router = createRouter();
  router.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", {
    type: "http",
    scheme: "bearer",
    description:
      "Required when the deployment sets API_KEYS: `Authorization: Bearer <key>`. Without API_KEYS the API is open.",
  });
  return router
    .route("/", customersRouter)
    .route("/", eligibilityRouter)
    .route("/", loansRouter)
    .route("/", decisionsRouter);
}

export function openApiDocument(api: ReturnType<typeof createApi>) {
  return api.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Credit Approval API",
      version: "1.0.0",
      description:
        "Registers customers, scores them from their loan history, decides loans and books them. Every path is also served under /api. Errors are RFC 9457 problem+json.",
    },
    // An API key when the deployment requires one; otherwise none.
    security: [{ ApiKey: [] }, {}],
  });
}

export interface AppOptions<B extends AppBindings> {
  /**
   * The request's database, from the bindings: D1 or remote libSQL in the Worker
   * (src/worker/database.ts), the server's libSQL client in Node (src/node/runtime.ts).
   */
  database: (env: B) => Database;
}

export function createApp<B extends AppBindings>(options: AppOptions<B>) {
  const api = createApi();
  const document = openApiDocument(api);
  const app = new Hono<{ Bindings: B; Variables: AppVariables }>({ strict: false });

  app.use(requestId());
  app.use(secureHeaders());
  app.use(async (c, next) => {
    await next();
    // Responses carry personal data: no shared cache may keep them, refusals (401, 429) included.
    // Set on the response's own headers: `c.header()` after the handler rebuilds the response
    // around a stream of its body, which on the Node server costs every request a Fetch Response
    // and a stream copy.
    if (needsApiKey(c.req.path)) c.res.headers.set("Cache-Control", "no-store");
  });
  app.use(configurableCors());
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) =>
        problemResponse(c, {
          kind: "method-not-allowed",
          detail: `${c.req.method} is not allowed here; use ${allowed.join(" or ")}.`,
          headers: { Allow: allowed.join(", ") },
        }),
    }),
  );
  // Keys and rate limits are checked before any body is read.
  app.use(apiAccess());
  app.use(identityEncodingOnly());
  // The ingest endpoints set their own, larger limit: one queue sendBatch of rows.
  app.use(
    except(
      "/ingest/*",
      declaredBodyLimit({
        maxSize: MAX_BODY_BYTES,
        onError: () => {
          throw payloadTooLargeProblem(MAX_BODY_BYTES);
        },
      }),
    ),
  );
  app.use(async (c, next) => {
    c.set("db", options.database(c.env));
    c.set("asOf", asOfDate(c.env.AS_OF_DATE));
    await next();
  });

  // On Workers the console (a static asset) answers "/"; "/api" always answers with this index.
  const index = {
    name: "Credit Approval API",
    console: "/",
    docs: "/docs",
    openapi: "/openapi.json",
  };
  const showIndex = (c: Context<{ Bindings: B }>) =>
    c.json({ ...index, api_key_required: parseApiKeyDigests(c.env.API_KEYS).length > 0 });
  app.get("/", showIndex);
  app.get("/api", showIndex);
  app.get("/openapi.json", (c) => c.json(document));
  app.get("/docs", (c) => c.html(docsPage("/openapi.json")));
  app.route("/ingest", ingestRouter);
  app.route("/", api);
  app.route("/api", api);

  app.notFound(onNotFound);
  app.onError(onError);
  return app;
}

function asOfDate(pinned: string | undefined): string {
  if (!pinned) return todayUtc();
  if (!isValidIsoDate(pinned)) throw new Error("AS_OF_DATE must be empty or a YYYY-MM-DD date");
  return pinned;
}
