import { isIP } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config";
import { settingsFromEnv } from "../../src/node/settings";
import {
  clientAddress,
  formatAddress,
  parseAddress,
  parseTrustedProxies,
  type TrustedProxies,
} from "../../src/node/trusted-proxies";
import { propertyRuns } from "../support/property-seed";

/*
 * TRUSTED_PROXIES and the X-Forwarded-For walk (src/node/trusted-proxies.ts): the client is the
 * right-most entry that is not a trusted proxy; nothing left of it, which the client itself wrote,
 * ever counts.
 */

const proxies = (setting: string) => parseTrustedProxies(setting);

/** The client of a request from `peer` with `header` (undefined: no X-Forwarded-For at all). */
const client = (trusted: TrustedProxies, peer: string, header?: string | string[]) =>
  clientAddress(trusted, peer, () => header);

/** Whether `address`, as the socket's peer, is trusted: its X-Forwarded-For is then read. */
const trusts = (setting: string, address: string) =>
  client(proxies(setting), address, "203.0.113.9") === "203.0.113.9";

describe("TRUSTED_PROXIES", () => {
  it("is off by default and when blank: the client is the peer, whatever the header says", () => {
    for (const setting of [undefined, "", " ", " , "]) {
      const trusted = settingsFromEnv(
        setting === undefined ? {} : { TRUSTED_PROXIES: setting },
      ).trustedProxies;
      expect(trusted.ranges).toEqual([]);
      expect(client(trusted, "127.0.0.1", "203.0.113.9")).toBe("127.0.0.1");
    }
  });

  it("matches IPv4 addresses and CIDR ranges at their edges", () => {
    expect(trusts("10.1.2.3", "10.1.2.3")).toBe(true);
    expect(trusts("10.1.2.3", "10.1.2.4")).toBe(false);
    expect(trusts("10.0.0.0/8", "10.0.0.0")).toBe(true);
    expect(trusts("10.0.0.0/8", "10.255.255.255")).toBe(true);
    expect(trusts("10.0.0.0/8", "11.0.0.0")).toBe(false);
    expect(trusts("10.0.0.0/8", "9.255.255.255")).toBe(false);
    // A prefix that is not a whole number of bytes.
    expect(trusts("172.16.0.0/12", "172.31.255.255")).toBe(true);
    expect(trusts("172.16.0.0/12", "172.32.0.0")).toBe(false);
    expect(trusts("172.16.0.0/12", "172.15.255.255")).toBe(false);
    expect(trusts("192.0.2.1/32", "192.0.2.1")).toBe(true);
    expect(trusts("192.0.2.1/32", "192.0.2.0")).toBe(false);
    expect(trusts("128.0.0.0/1", "255.255.255.255")).toBe(true);
    expect(trusts("128.0.0.0/1", "127.255.255.255")).toBe(false);
  });

  it("matches IPv6 addresses and ranges, in any of their spellings", () => {
    expect(trusts("::1", "::1")).toBe(true);
    expect(trusts("::1", "0:0:0:0:0:0:0:1")).toBe(true);
    expect(trusts("::1", "::2")).toBe(false);
    expect(trusts("fd00::/8", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toBe(true);
    expect(trusts("fd00::/8", "fc00::1")).toBe(false);
    expect(trusts("2001:db8::/32", "2001:DB8:0:0:1::5")).toBe(true);
    expect(trusts("2001:db8::/33", "2001:db8:8000::1")).toBe(false);
    expect(trusts("2001:db8::/33", "2001:db8:7fff::1")).toBe(true);
    // A link-local peer's zone is where it was reached, not part of its address.
    expect(trusts("fe80::/10", "fe80::1%eth0")).toBe(true);
  });

  it("matches an IPv4 entry to the IPv4-mapped IPv6 peer a dual-stack listener reports", () => {
    expect(trusts("127.0.0.1", "::ffff:127.0.0.1")).toBe(true);
    expect(trusts("10.0.0.0/8", "::ffff:10.9.8.7")).toBe(true);
    expect(trusts("10.0.0.0/8", "::ffff:a09:807")).toBe(true);
    expect(trusts("10.0.0.0/8", "::ffff:11.0.0.1")).toBe(false);
    // And the other way: a mapped entry is the IPv4 address.
    expect(trusts("::ffff:192.0.2.0/120", "192.0.2.77")).toBe(true);
    expect(trusts("::ffff:192.0.2.0/120", "192.0.3.1")).toBe(false);
    // Not the IPv4-compatible (::a.b.c.d) or NAT64 forms, which are other addresses.
    expect(trusts("127.0.0.1", "::127.0.0.1")).toBe(false);
    expect(trusts("127.0.0.1", "64:ff9b::127.0.0.1")).toBe(false);
  });

  it("takes loopback for 127.0.0.0/8 and ::1, in any case, with other entries", () => {
    for (const peer of ["127.0.0.1", "127.200.1.9", "::1", "::ffff:127.0.0.1"]) {
      expect(trusts("loopback", peer), peer).toBe(true);
      expect(trusts(" LoopBack , 10.0.0.0/8", peer), peer).toBe(true);
    }
    for (const peer of ["128.0.0.1", "::2", "10.0.0.1", "::ffff:10.0.0.1"]) {
      expect(trusts("loopback", peer), peer).toBe(false);
    }
    expect(trusts(" LoopBack , 10.0.0.0/8", "10.0.0.1")).toBe(true);
  });

  it("is a startup error naming TRUSTED_PROXIES for anything that is not an address or range", () => {
    for (const bad of [
      "localhost",
      "10.0.0",
      "10.0.0.256",
      "010.0.0.1",
      "10.0.0.0/33",
      "10.0.0.0/",
      "10.0.0.0/8/8",
      "10.0.0.0/-1",
      "10.0.0.0/ 8",
      "::1/129",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "fe80::1%eth0",
      "*",
      "10.0.0.1 10.0.0.2",
      "10.0.0.1;10.0.0.2",
    ]) {
      expect(() => settingsFromEnv({ TRUSTED_PROXIES: bad }), bad).toThrow(ConfigError);
      expect(() => settingsFromEnv({ TRUSTED_PROXIES: `loopback,${bad}` }), bad).toThrow(
        /^TRUSTED_PROXIES has ".*", which is not an IP address|^TRUSTED_PROXIES has ".*", whose prefix length must be/,
      );
    }
  });

  it("refuses a range with host bits set, saying which network was meant", () => {
    expect(() => settingsFromEnv({ TRUSTED_PROXIES: "192.168.1.10/24" })).toThrow(
      'TRUSTED_PROXIES has "192.168.1.10/24", whose address has bits set past its /24 prefix: write the network\'s first address (192.168.1.0/24)',
    );
    expect(() => settingsFromEnv({ TRUSTED_PROXIES: "fd00::1/8" })).toThrow(/\(fd00::\/8\)$/);
  });

  it("refuses a /0, which would let any client choose its address", () => {
    for (const everyone of ["0.0.0.0/0", "::/0"]) {
      expect(() => settingsFromEnv({ TRUSTED_PROXIES: everyone }), everyone).toThrow(
        /^TRUSTED_PROXIES has ".*", which would trust every peer/,
      );
    }
  });
});

describe("the client behind trusted proxies", () => {
  const one = proxies("127.0.0.1");
  const chain = proxies("127.0.0.1, 10.0.0.0/8, fd00::/8");

  it("is the peer when the peer is not trusted, without reading X-Forwarded-For", () => {
    let read = false;
    const address = clientAddress(one, "198.51.100.7", () => {
      read = true;
      return "203.0.113.9";
    });
    expect(address).toBe("198.51.100.7");
    expect(read).toBe(false);
    // Nor when no proxy is trusted at all, the default.
    expect(
      clientAddress(parseTrustedProxies(""), "127.0.0.1", () => {
        throw new Error("read");
      }),
    ).toBe("127.0.0.1");
  });

  it("is the right-most X-Forwarded-For entry when the peer is trusted", () => {
    expect(client(one, "127.0.0.1", "203.0.113.9")).toBe("203.0.113.9");
    expect(client(one, "::ffff:127.0.0.1", "203.0.113.9")).toBe("203.0.113.9");
    expect(client(one, "127.0.0.1", "2001:db8::9")).toBe("2001:db8::9");
  });

  it("never takes a forged left-most entry: only what the trusted proxy appended counts", () => {
    expect(client(one, "127.0.0.1", "1.1.1.1, 203.0.113.9")).toBe("203.0.113.9");
    expect(client(one, "127.0.0.1", "127.0.0.1, 203.0.113.9")).toBe("203.0.113.9");
    expect(client(chain, "127.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.1.1")).toBe("203.0.113.9");
    expect(client(chain, "127.0.0.1", "6.6.6.6,203.0.113.9,10.1.1.1,fd00::2")).toBe("203.0.113.9");
  });

  it("walks header lines in order, as Node joins them", () => {
    expect(client(chain, "127.0.0.1", ["6.6.6.6, 203.0.113.9", "10.1.1.1"])).toBe("203.0.113.9");
    expect(client(chain, "127.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.1.1")).toBe("203.0.113.9");
  });

  it("stops at an entry that is not an address, at the last trusted hop it reached", () => {
    // The garbage is right of the client's own entries: the hop that wrote it is the client.
    expect(client(chain, "127.0.0.1", "203.0.113.9, garbage")).toBe("127.0.0.1");
    expect(client(chain, "127.0.0.1", "203.0.113.9, garbage, 10.1.1.1")).toBe("10.1.1.1");
    for (const bad of [
      "unknown",
      "203.0.113.9:4711",
      "[2001:db8::9]",
      "[2001:db8::9]:443",
      "203.0.113.9 203.0.113.10",
      "2001:db8::9%eth0",
      "_hidden",
      "203.0.113.256",
      "\u0000",
    ]) {
      expect(client(chain, "127.0.0.1", `6.6.6.6, ${bad}`), bad).toBe("127.0.0.1");
      expect(client(chain, "127.0.0.1", `6.6.6.6, ${bad}, fd00::1`), bad).toBe("fd00::1");
    }
  });

  it("is the peer for an empty or blank header, and skips empty entries", () => {
    expect(client(one, "127.0.0.1", undefined)).toBe("127.0.0.1");
    expect(client(one, "127.0.0.1", "")).toBe("127.0.0.1");
    expect(client(one, "127.0.0.1", " , ,")).toBe("127.0.0.1");
    expect(client(one, "127.0.0.1", "203.0.113.9, ")).toBe("203.0.113.9");
    expect(client(one, "127.0.0.1", ",203.0.113.9,,")).toBe("203.0.113.9");
  });

  it("is the left-most entry when every hop is trusted (a caller inside the proxies' network)", () => {
    expect(client(chain, "127.0.0.1", "10.2.2.2, 10.1.1.1")).toBe("10.2.2.2");
  });

  it("is written one way however a proxy spells it", () => {
    expect(client(one, "127.0.0.1", "::FFFF:203.0.113.9")).toBe("203.0.113.9");
    expect(client(one, "127.0.0.1", "2001:0DB8:0000:0000:0000:0000:0000:0009")).toBe("2001:db8::9");
  });
});

describe("addresses", () => {
  it("are written as RFC 5952 says", () => {
    const canonical = (text: string) => {
      const bytes = parseAddress(text);
      return bytes && formatAddress(bytes);
    };
    expect(canonical("::")).toBe("::");
    expect(canonical("::1")).toBe("::1");
    expect(canonical("1::")).toBe("1::");
    expect(canonical("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonical("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1");
    expect(canonical("1:2:3:4:5:6:7::")).toBe("1:2:3:4:5:6:7:0");
    expect(canonical("::ffff:7f00:1")).toBe("127.0.0.1");
    expect(canonical("0.0.0.0")).toBe("0.0.0.0");
    expect(canonical(":1::")).toBeNull();
    expect(canonical("1.2.3.4::")).toBeNull();
    expect(canonical("::1.2.3.4:5")).toBeNull();
    expect(canonical("1:2:3:4:5:6:7:8::")).toBeNull();
    expect(canonical("")).toBeNull();
  });
});

describe("addresses, against Node's and the URL standard's parsers", () => {
  /** The address as the URL standard writes it (RFC 5952's compression), dotted when IPv4-mapped. */
  const standard = (text: string) => {
    const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (!mapped) return host;
    const [high, low] = [
      Number.parseInt(mapped[1] ?? "", 16),
      Number.parseInt(mapped[2] ?? "", 16),
    ];
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  };

  it("reads every IPv4 and IPv6 spelling, and writes it as the URL standard does", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const bytes = parseAddress(text);
        expect(bytes, text).not.toBeNull();
        const expected = text.includes(":") ? standard(text) : text;
        expect(formatAddress(bytes ?? new Uint8Array(16)), text).toBe(expected);
      }),
      propertyRuns("trusted-proxies addresses", 500),
    );
  });

  it("refuses what Node's isIP refuses, and takes what it takes (zones aside)", () => {
    const near = fc.string({
      unit: fc.constantFrom(..."0123456789abcdefABCDEF:.:./ %"),
      maxLength: 45,
    });
    fc.assert(
      fc.property(fc.oneof(near, fc.ipV6(), fc.ipV4()), (text) => {
        if (text.includes("%")) return;
        expect(parseAddress(text) !== null, text).toBe(isIP(text) !== 0);
      }),
      propertyRuns("trusted-proxies parser", 2000),
    );
  });
});
