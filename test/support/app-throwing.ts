import { Hono } from "hono";
import { onError } from "../../src/http/error-handler";

/** A bare app with the API's error handler, and a route (`GET /boom`) that throws what it is given. */
export function appThrowing(error: Error) {
  const app = new Hono<{ Variables: { requestId: string } }>();
  app.use(async (c, next) => {
    c.set("requestId", "req-1");
    await next();
  });
  app.get("/boom", () => {
    throw error;
  });
  app.onError(onError);
  return app;
}
