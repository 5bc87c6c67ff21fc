import { Hono } from "hono";
import type { AppEnv } from "../../http/app-env";
import { requireBearerToken } from "../../lib/bearer-token";
import { declaredBodyLimit } from "../../lib/body-limit";
import { payloadTooLargeProblem } from "../../lib/problem";
import { enqueueBatch, showJob, showSummary } from "./ingest.handlers";

/** One sendBatch holds at most 256 KB of messages; the JSON around them needs a little more. */
const MAX_INGEST_BODY_BYTES = 512 * 1024;

/*
 * The operator's ingest endpoints. Their contract is the valibot row contract shared with the
 * script (src/ingest), not zod, so they are plain routes and not part of the public API document.
 */
export const ingestRouter = new Hono<AppEnv>({ strict: false })
  // As on the API's paths (src/lib/response-headers.ts): job reports name customers and rows, and
  // no cache, a browser's included, may keep an answer given for the operator's token.
  .use(async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  })
  .use(requireBearerToken<AppEnv>((c) => c.get("config").ingestToken, "ingest"))
  .use(
    declaredBodyLimit({
      maxSize: MAX_INGEST_BODY_BYTES,
      onError: () => {
        throw payloadTooLargeProblem(MAX_INGEST_BODY_BYTES, "An ingest request");
      },
    }),
  )
  .post("/batches", enqueueBatch)
  .get("/jobs/:job_id", showJob)
  .get("/summary", showSummary);
