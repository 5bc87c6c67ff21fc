import { OpenAPIHono } from "@hono/zod-openapi";
import { validationHook } from "../lib/validation";
import type { AppEnv } from "./app-env";

/** A router whose failed validations all become the same 400 problem. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook, strict: false });
}
