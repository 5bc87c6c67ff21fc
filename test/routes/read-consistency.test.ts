import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { call, callJson, registerCustomer, registration } from "../support/http";
import { expectProblem } from "../support/problem";

/*
 * The x-d1-bookmark header on both backends: the Worker on D1 answers with its session's
 * bookmark; the Node server has no sessions, so it neither sends one nor reads one.
 */
describe("x-d1-bookmark", () => {
  const onD1 = backend().name === "workers-d1";

  it(`is ${onD1 ? "sent" : "not sent"} with a write and a read`, async () => {
    const written = await call("/register", { body: registration() });
    expect(written.status).toBe(201);
    const { customer_id } = (await written.json()) as { customer_id: number };
    const read = await call(`/view-loans/${customer_id}`);
    expect(read.status).toBe(200);
    for (const response of [written, read]) {
      if (onD1) expect(response.headers.get("x-d1-bookmark")).toMatch(/^[0-9a-f-]{59}$/);
      else expect(response.headers.get("x-d1-bookmark")).toBeNull();
    }
  });

  it(`is ${onD1 ? "checked" : "ignored"} when a read sends a malformed one`, async () => {
    const { customer_id } = await registerCustomer();
    const response = await call(`/view-loans/${customer_id}`, {
      headers: { "x-d1-bookmark": "not-a-bookmark" },
    });
    if (onD1) await expectProblem(response, 400, "x-d1-bookmark");
    else expect(response.status).toBe(200);
  });

  // The server takes an empty bookmark as none (it was made to); the OpenAPI document's pattern
  // refused "", so a client validating requests against the document refused what the server
  // takes. The document and the server must agree on "", a real bookmark and a malformed one.
  it("is declared by the OpenAPI document as the server takes it: empty, a bookmark, not garbage", async () => {
    const { body } = await callJson<{
      components: { parameters: { D1Bookmark: { schema: { type: string; pattern: string } } } };
    }>("/openapi.json");
    const { schema } = body.components.parameters.D1Bookmark;
    expect(schema.type).toBe("string");
    // JSON Schema's `pattern` is an ECMA-262 regular expression, unanchored unless it anchors itself.
    const documentTakes = (value: string) => new RegExp(schema.pattern, "u").test(value);

    const { customer_id } = await registerCustomer();
    const empty = await call(`/view-loans/${customer_id}`, { headers: { "x-d1-bookmark": "" } });
    expect(empty.status).toBe(200);
    expect(documentTakes("")).toBe(true);

    const bookmark = "0000004a-00000003-00004f9d-8d0f1c67d58b4ff3c24a2a4fbd0c3b7e";
    expect(documentTakes(bookmark)).toBe(true);
    expect(documentTakes(bookmark.toUpperCase())).toBe(true);
    for (const garbage of ["not-a-bookmark", ` ${bookmark}x`, `${bookmark}\n`]) {
      expect(documentTakes(garbage), JSON.stringify(garbage)).toBe(false);
    }
    const malformed = await call(`/view-loans/${customer_id}`, {
      headers: { "x-d1-bookmark": "not-a-bookmark" },
    });
    // Refused where the header is read (D1), ignored elsewhere; never taken against the document.
    expect(malformed.status).toBe(onD1 ? 400 : 200);
  });
});
