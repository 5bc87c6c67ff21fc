import { type Context, Hono } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { type AppConfig, ConfigError } from "./config";
import type { Database } from "./db/database";
import type { SessionOpener } from "./db/sessions";
import type { AppBindings, AppVariables, AsOfAt } from "./http/app-env";
import { createRouter } from "./http/create-router";
import { onError, onNotFound } from "./http/error-handler";
import { requestDatabase } from "./http/read-consistency";
import { requestTelemetry } from "./http/request-telemetry";
import { configurableCors } from "./http/security/cors";
import { apiAccess } from "./http/security/middleware";
import { declaredBodyLimit } from "./lib/body-limit";
import { identityEncodingOnly } from "./lib/content-encoding";
import { docsPage } from "./lib/docs-page";
import { log } from "./lib/log";
import { declareCommonHeaders, declaredResponseHeaders } from "./lib/openapi-headers";
import { payloadTooLargeProblem, problemResponse, settingsProblem } from "./lib/problem";
import { type EdgeOf, noEdge } from "./lib/request-edge";
import { responseHeaders } from "./lib/response-headers";
import { customersRouter } from "./routes/customers/customers.index";
import { decisionsRouter } from "./routes/decisions/decisions.index";
import { eligibilityRouter } from "./routes/eligibility/eligibility.index";
import { healthRouter } from "./routes/health/health.index";
import { ingestRouter } from "./routes/ingest/ingest.index";
import { loansRouter } from "./routes/loans/loans.index";
import { servicingRouter } from "./routes/servicing/servicing.index";
import { noTelemetry, type Telemetry } from "./telemetry";

const MAX_BODY_BYTES = 64 * 1024;

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
    .route("/", servicingRouter)
    .route("/", decisionsRouter);
}

function openApiDocument(api: ReturnType<typeof createApi>) {
  const document = api.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Credit Approval API",
      version: "1.0.0",
      description:
        "Registers customers, scores them from their loan history, decides loans and books them. Every path is also served under /api. Errors are RFC 9457 problem+json.",
    },
    // An API key when the deployment requires one; otherwise none.
    security: [{ ApiKey: [] }, {}],
    // What each group of operations holds, which a reference page or generator shows by it.
    tags: [
      { name: "Customers", description: "Registering a customer and their approved limit" },
      {
        name: "Loans",
        description: "Checking eligibility, booking a loan, and viewing one loan or a customer's",
      },
      { name: "Servicing", description: "Paying instalments and reading a loan's statement" },
      { name: "Decisions", description: "The recorded credit decisions and their reasons" },
    ],
  });
  return declareCommonHeaders(document);
}

/** What `/ingest/*` matches: /ingest itself and everything under it. */
function isIngestPath(path: string): boolean {
  return path === "/ingest" || path.startsWith("/ingest/");
}

export interface AppOptions<B extends AppBindings> {
  /**
   * The app's settings, parsed once by the runtime (src/config.ts): per isolate in the Worker
   * (src/worker/index.ts), at start on the Node server (src/node/runtime.ts).
   */
  config: (env: B) => AppConfig;
  /**
   * The request's database, from the bindings: D1 or remote libSQL in the Worker
   * (src/worker/database.ts), the server's libSQL client in Node (src/node/runtime.ts).
   */
  database: (env: B) => Database;
  /**
   * Why the database cannot take writes although it answers (the Node server's file deleted,
   * replaced or read-only: src/node/native-libsql.ts), for /readyz; none by default.
   */
  databaseFault?: (env: B) => string | null;
  /**
   * Per-request sessions over read replicas (D1's Sessions API, src/worker/database.ts): when the
   * bindings have them, requests use one instead of `database` and answer with its bookmark
   * (src/http/read-consistency.ts).
   */
  sessions?: SessionOpener<B>;
  /** Where the request's metrics go (src/telemetry.ts); none by default. */
  telemetry?: (env: B) => Telemetry;
  /** Runtime-specific operations routes (the Node server's /metrics), served like /healthz. */
  operations?: Hono<{ Bindings: B }>;
  /** What the runtime's HTTP edge knows of a request (src/lib/request-edge.ts); none by default. */
  edge?: EdgeOf;
}

export function createApp<B extends AppBindings>(options: AppOptions<B>) {
  const api = createApi();
  const document = openApiDocument(api);
  const app = new Hono<{ Bindings: B; Variables: AppVariables }>({ strict: false });

  const telemetry = options.telemetry;
  const edge = options.edge ?? noEdge;
  app.use(requestTelemetry((c) => (telemetry ? telemetry(c.env) : noTelemetry), edge));
  app.use(responseHeaders(edge));
  app.use(async (c, next) => {
    let config: AppConfig;
    try {
      config = options.config(c.env);
    } catch (error) {
      // Only the Worker parses its settings here, lazily: a bad one must still be problem+json
      // naming it, not an exception thrown out of the Worker.
      if (!(error instanceof ConfigError)) throw error;
      log("error", "invalid settings", { problem: error.message, request_id: c.get("requestId") });
      throw settingsProblem(error.problems);
    }
    c.set("config", config);
    // Today in UTC, read here: the domain is handed its date and never reads the clock.
    const asOfAt: AsOfAt = (nowMs) => config.asOfDate ?? new Date(nowMs).toISOString().slice(0, 10);
    c.set("asOfAt", asOfAt);
    c.set("asOf", asOfAt(Date.now()));
    await next();
  });
  app.use(configurableCors(declaredResponseHeaders(document)));
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
  // A stopping server's refusal, keys and rate limits: before any body is read, after CORS (so
  // that a browser can read a refusal), and before /readyz, which a stopping server refuses too.
  app.use(apiAccess(edge));
  // Before the body and database middleware: these answer without them (and /readyz reaches the
  // database itself, so that a database that cannot even be opened is "not ready", not a 500).
  app.route("/", healthRouter(options.database, options.databaseFault));
  if (options.operations) app.route("/", options.operations);
  app.use(identityEncodingOnly());
  // The ingest endpoints set their own, larger limit: one queue sendBatch of rows. A prefix test,
  // not hono/combine's except(), which matched a router and composed a chain on every request.
  const bodyLimit = declaredBodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw payloadTooLargeProblem(MAX_BODY_BYTES);
    },
  });
  app.use((c, next) => (isIngestPath(c.req.path) ? next() : bodyLimit(c, next)));
  app.use(requestDatabase(options.database, options.sessions));

  // On Workers the console (a static asset) answers "/"; "/api" always answers with this index.
  const index = {
    name: "Credit Approval API",
    console: "/",
    docs: "/docs",
    openapi: "/openapi.json",
  };
  const showIndex = (c: Context<{ Variables: AppVariables }>) =>
    c.json({ ...index, api_key_required: c.get("config").apiKeyDigests.length > 0 });
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
