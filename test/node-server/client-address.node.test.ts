import { describe, expect, it } from "vitest";
import { serverPerFile } from "../node/server-per-file";

/*
 * The Node server counts the write limit per socket address: a CF-Connecting-IP header is the
 * client's own word there (only Cloudflare's edge sets it truthfully), so a new one per request
 * must not buy a new allowance.
 */

const served = serverPerFile("client-address-", {
  HOST: "127.0.0.1",
  RATE_LIMIT_PER_MINUTE: "2",
});

function register(index: number) {
  return fetch(`${served.server.url}/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "CF-Connecting-IP": `198.51.100.${index}` },
    body: JSON.stringify({
      first_name: "Ira",
      last_name: "Sen",
      age: 30,
      monthly_income: 50_000,
      phone_number: 9_800_000_000 + index,
    }),
  });
}

describe("the write limit on the Node server", () => {
  it("ignores the CF-Connecting-IP a client sends and counts its socket address", async () => {
    const statuses: number[] = [];
    for (let index = 1; index <= 3; index++) {
      const response = await register(index);
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([201, 201, 429]);
  });
});
