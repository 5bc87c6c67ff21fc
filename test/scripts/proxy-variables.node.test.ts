import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IngestClient } from "../../scripts/lib/ingest-client";
import { unusedProxy } from "../../scripts/lib/proxy-variables";

/*
 * `npm run ingest` from a laptop whose network reaches the Worker only through HTTPS_PROXY. Node
 * 20's fetch ignores the variable: every request went straight to the host, failed with
 * `getaddrinfo ENOTFOUND` (or a connect timeout), was retried for a minute, and the run ended
 * with that error and no word of the proxy the operator had set.
 */

const PROXY_NAMES = [
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
];
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(PROXY_NAMES.map((name) => [name, process.env[name]]));
  for (const name of PROXY_NAMES) delete process.env[name];
});
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("npm run ingest with a proxy in the environment", () => {
  it("names HTTPS_PROXY, which it does not send through, when it cannot reach the host", async () => {
    process.env.HTTPS_PROXY = "http://me:s3cret@127.0.0.1:3128";
    const retries: string[] = [];
    const client = new IngestClient(
      "https://credit-approval.invalid",
      "token",
      (what, attempt, error) => retries.push(`${what} ${attempt}: ${error}`),
      2,
    );
    const error = await client.storedRows().then(
      () => null,
      (failure: Error) => failure.message,
    );
    const hint =
      "HTTPS_PROXY is set (127.0.0.1:3128), but this script connects to credit-approval.invalid directly";
    expect(error).toContain(hint);
    expect(retries.join("\n")).toContain(hint);
    expect(`${error}${retries}`).not.toContain("s3cret");
  }, 30_000);

  it("says nothing of a proxy NO_PROXY exempts the host from, or one for the other scheme", async () => {
    process.env.HTTPS_PROXY = "http://127.0.0.1:3128";
    process.env.NO_PROXY = "localhost,.invalid";
    const exempt = new IngestClient("https://credit-approval.invalid", "token", undefined, 1);
    const error = await exempt.storedRows().then(
      () => null,
      (failure: Error) => failure.message,
    );
    expect(error).toMatch(/failed 1 times?/);
    expect(error).not.toContain("PROXY");
  }, 30_000);
});

describe("which proxy variable fetch leaves unused", () => {
  const url = new URL("https://credit.example.workers.dev/ingest/summary");
  const proxy = { HTTPS_PROXY: "http://proxy.corp:8080" };

  it("is HTTPS_PROXY (or https_proxy) for an https:// URL, HTTP_PROXY for an http:// one", () => {
    expect(unusedProxy(url, proxy, "20.20.2", [])).toMatch(
      /^HTTPS_PROXY is set \(proxy\.corp:8080\)/,
    );
    expect(unusedProxy(url, { https_proxy: "http://p:1" }, "20.20.2", [])).toMatch(/^https_proxy /);
    expect(unusedProxy(url, { HTTP_PROXY: "http://p:1" }, "20.20.2", [])).toBeNull();
    expect(
      unusedProxy(new URL("http://10.0.0.5:8788"), { HTTP_PROXY: "http://p:1" }, "20.20.2", []),
    ).toMatch(/^HTTP_PROXY /);
  });

  it("is none for a host NO_PROXY lists (a domain, a leading dot, *, a port) or a loopback address", () => {
    for (const list of [
      "workers.dev",
      ".workers.dev",
      "*.workers.dev",
      "*",
      "x, credit.example.workers.dev:443",
    ]) {
      expect(unusedProxy(url, { ...proxy, NO_PROXY: list }, "20.20.2", [])).toBeNull();
    }
    expect(
      unusedProxy(url, { ...proxy, no_proxy: "workers.dev:8443" }, "20.20.2", []),
    ).not.toBeNull();
    expect(unusedProxy(url, { ...proxy, NO_PROXY: "example.dev" }, "20.20.2", [])).not.toBeNull();
    for (const local of ["http://127.0.0.1:8787", "http://localhost:8788", "http://[::1]:8788"]) {
      expect(unusedProxy(new URL(local), { HTTP_PROXY: "http://p:1" }, "20.20.2", [])).toBeNull();
    }
  });

  it("is none where fetch reads it (Node 22.21+, 24.5+ with NODE_USE_ENV_PROXY=1 or --use-env-proxy)", () => {
    const told = { ...proxy, NODE_USE_ENV_PROXY: "1" };
    expect(unusedProxy(url, told, "24.5.0", [])).toBeNull();
    expect(unusedProxy(url, told, "22.21.0", [])).toBeNull();
    expect(unusedProxy(url, proxy, "25.1.0", ["--use-env-proxy"])).toBeNull();
    expect(
      unusedProxy(url, { ...proxy, NODE_OPTIONS: "--use-env-proxy" }, "24.6.0", []),
    ).toBeNull();
    expect(unusedProxy(url, proxy, "24.6.0", [])).toContain(
      "uses it only with NODE_USE_ENV_PROXY=1",
    );
    expect(unusedProxy(url, told, "22.20.0", [])).toContain("Node 22.21 or later");
    expect(unusedProxy(url, told, "20.20.2", [])).toContain("Node 22.21 or later");
  });

  it("never shows the proxy URL's user name or password", () => {
    expect(
      unusedProxy(url, { HTTPS_PROXY: "http://me:s3cret@proxy.corp:8080" }, "20.20.2", []),
    ).not.toMatch(/me:|s3cret/);
  });
});
