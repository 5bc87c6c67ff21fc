import { describe, expect, it } from "vitest";
import { rawExchange } from "../node/raw-http";
import { serverPerFile } from "../node/server-per-file";

/*
 * A request without Host on a server whose HOST is an IPv6 address (`::`, every interface, is the
 * common one; the IPv4-mapped loopback stands for it here, reachable at 127.0.0.1 only). The adapter
 * builds the request's URL from HOST when Host is missing, and `http://::/healthz` is no URL: an
 * HTTP/1.1 request got the generic "Host must be a host name" 400 instead of "must be given", and
 * an HTTP/1.0 one (a load balancer's health check sends none) a 400 instead of its answer.
 */

const served = serverPerFile("missing-host-ipv6-", { HOST: "::ffff:127.0.0.1" });
const loopback = () => `http://127.0.0.1:${new URL(served.server.url).port}`;

describe("a server listening on an IPv6 address", () => {
  it("refuses an HTTP/1.1 request without Host as missing its Host", async () => {
    const answer = await rawExchange(loopback(), "GET /healthz HTTP/1.1\r\n\r\n");
    const body = JSON.parse(answer.split("\r\n\r\n")[1] ?? "");
    expect(body.errors).toEqual([{ field: "Host", message: "must be given" }]);
    expect(body.instance).toBe("/healthz");
  });

  it("answers an HTTP/1.0 request without Host", async () => {
    const answer = await rawExchange(loopback(), "GET /healthz HTTP/1.0\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });
});
