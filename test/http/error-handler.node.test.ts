import { HTTPException } from "hono/http-exception";
import { describe, expect, it, vi } from "vitest";
import { appThrowing } from "../support/app-throwing";

describe("the error handler", () => {
  it("answers a 500 HTTPException like any other 500: logged, and its message never sent", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const app = appThrowing(
        new HTTPException(500, { message: "Cannot clone request: body was already consumed" }),
      );
      const response = await app.request("/boom");
      const body = (await response.json()) as { type: string; detail: string };
      expect(response.status).toBe(500);
      expect(body.type).toBe("/problems/internal-error");
      expect(body.detail).toBe(
        "Something went wrong on our side. Quote request id req-1 when reporting it.",
      );
      expect(JSON.stringify(body)).not.toContain("clone");
      expect(logged.mock.calls.flat().join(" ")).toContain("unhandled error");
    } finally {
      logged.mockRestore();
    }
  });

  it("still answers the validator's 400 as malformed JSON", async () => {
    const response = await appThrowing(new HTTPException(400, { message: "x" })).request("/boom");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { type: string }).type).toBe("/problems/malformed-json");
  });
});
