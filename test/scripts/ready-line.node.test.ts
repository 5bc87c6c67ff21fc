import { describe, expect, it } from "vitest";
import { readyLines } from "../../scripts/lib/ready-line";
import { localUrl } from "../../src/lib/url-host";

/*
 * What `npm start` and `npm run serve` print as they start. The servers behind these lines run in
 * start-script.node.test.ts and serve-script.node.test.ts; a server on every interface is left
 * out there, as tests listen on loopback only.
 */

describe("the URL a server is reached at from this machine", () => {
  it("is the address it listens on, IPv6 in brackets", () => {
    expect(localUrl("127.0.0.1", 8788)).toBe("http://127.0.0.1:8788");
    expect(localUrl("::1", 8787)).toBe("http://[::1]:8787");
    expect(localUrl("localhost", 1)).toBe("http://localhost:1");
  });

  // `http://0.0.0.0:8788` is not a URL a browser opens.
  it("is loopback for an address meaning every interface", () => {
    expect(localUrl("0.0.0.0", 8788)).toBe("http://127.0.0.1:8788");
    expect(localUrl("::", 8788)).toBe("http://[::1]:8788");
    expect(localUrl("0:0:0:0:0:0:0:0", 8788)).toBe("http://[::1]:8788");
  });
});

describe("the ready line", () => {
  it("names the API, its docs and its OpenAPI document", () => {
    expect(readyLines("http://127.0.0.1:8788", "127.0.0.1")).toBe(
      "\nready: API http://127.0.0.1:8788  docs http://127.0.0.1:8788/docs  OpenAPI http://127.0.0.1:8788/openapi.json\n",
    );
  });

  it("says when the server listens on every interface, under a URL that opens here", () => {
    expect(readyLines(localUrl("0.0.0.0", 8788), "0.0.0.0")).toBe(
      "\nready: API http://127.0.0.1:8788  docs http://127.0.0.1:8788/docs  OpenAPI http://127.0.0.1:8788/openapi.json\n" +
        "listening on all interfaces (HOST=0.0.0.0): other machines reach it at this machine's address, port 8788\n",
    );
    expect(readyLines(localUrl("::", 8787), "::")).toMatch(
      /^\nready: API http:\/\/\[::1\]:8787 .*\nlistening on all interfaces \(HOST=::\): .*, port 8787\n$/,
    );
  });
});
