import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { call, registerCustomer, registration } from "../support/http";
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
});
