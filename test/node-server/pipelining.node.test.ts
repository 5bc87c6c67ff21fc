import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { MAX_WAITING_REQUESTS } from "../../src/node/pipelining";
import { rawExchange, statusesIn } from "../node/raw-http";
import { serverPerFile } from "../node/server-per-file";

/*
 * Requests pipelined on one connection (HTTP/1.1), written in one go with raw sockets against the
 * real server on the loopback: every request before the connection's end gets its own answer.
 */

const served = serverPerFile("pipelining-", { AS_OF_DATE: "2025-06-15" });

/** A POST /register for a phone number of its own, as raw HTTP/1.1 with `extra` headers. */
function registerRequest(phone_number: number, extra = ""): string {
  const registration = JSON.stringify({
    first_name: "Piped",
    last_name: "Client",
    age: 30,
    monthly_income: 50_000,
    phone_number,
  });
  return (
    "POST /register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
    `${extra}Content-Length: ${registration.length}\r\n\r\n${registration}`
  );
}

describe("requests pipelined up to one with Connection: close", () => {
  it("answers each of them, then closes without answering what came after", async () => {
    const answers = await rawExchange(
      served.server.url,
      registerRequest(9_123_456_780) +
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" +
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    // Before, the bytes after the Connection: close request were answered with a 400 in place of
    // the registration's 201 (the customer was registered all the same) and the rest was lost.
    expect(statusesIn(answers)).toEqual(["201", "200"]);
    expect(answers).toContain('"first_name":"Piped"');
    expect(answers.endsWith('{"status":"ok"}')).toBe(true);
  });
});

describe("requests pipelined after one refused with 417", () => {
  it.each([
    ["first", ""],
    ["behind another request", "GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"],
  ])("are not done, since the 417 closes the connection (%s)", async (_, before) => {
    const phone = before ? 9_123_456_782 : 9_123_456_781;
    const answers = await rawExchange(
      served.server.url,
      before +
        "POST /register HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}" +
        registerRequest(phone),
    );
    expect(statusesIn(answers)).toEqual([...(before ? ["200"] : []), "417"]);
    // Before, the registration after the 417 was done but never answered: this was a 409.
    const again = await fetch(`${served.server.url}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: registerRequest(phone).split("\r\n\r\n")[1],
    });
    expect(again.status).toBe(201);
  });
});

describe("more pipelined requests than a connection may have waiting", () => {
  it("resets the connection instead of keeping every request parsed", async () => {
    const { hostname, port } = new URL(served.server.url);
    const count = MAX_WAITING_REQUESTS + 100;
    const raw =
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(count - 1) +
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const { answers, error } = await new Promise<{ answers: string; error?: string }>((resolve) => {
      let answers = "";
      const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(raw));
      socket.setEncoding("latin1");
      socket.on("data", (data: string) => {
        answers += data;
      });
      socket.on("error", (e: NodeJS.ErrnoException) => resolve({ answers, error: e.code }));
      socket.on("close", () => resolve({ answers }));
    });
    // Before, all of them were parsed, kept and answered: 10 MB of them held ~700 MB of the
    // worker's memory and stalled it for about a minute.
    expect(error).toBe("ECONNRESET");
    expect(statusesIn(answers).length).toBeLessThan(count);
    const after = await fetch(`${served.server.url}/healthz`);
    expect(after.status).toBe(200);
  });
});
