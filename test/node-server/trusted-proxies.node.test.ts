import { isIP } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config";
import { formatAddress, parseAddress } from "../../src/lib/ip-address";
import { settingsFromEnv } from "../../src/node/settings";
import {
  clientAddress,
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

  it("refuses ranges that together trust every IPv4 peer, naming them", () => {
    for (const everyone of [
      "::/64",
      "::/80",
      "::ffff:0:0/96",
      "::ffff:0.0.0.0/96",
      "0.0.0.0/1,128.0.0.0/1",
      "0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/2",
      "loopback, 0.0.0.0/2, 64.0.0.0/2, 100.0.0.0/8, 128.0.0.0/1",
      "::ffff:0:0/97, 128.0.0.0/1",
    ]) {
      expect(() => settingsFromEnv({ TRUSTED_PROXIES: everyone }), everyone).toThrow(
        /^TRUSTED_PROXIES trusts every IPv4 peer \(/,
      );
    }
    expect(() => settingsFromEnv({ TRUSTED_PROXIES: "10.0.0.0/8, 0.0.0.0/1,128.0.0.0/1" })).toThrow(
      'TRUSTED_PROXIES trusts every IPv4 peer (::ffff:0:0/96, where IPv4 peers are matched, is covered by "10.0.0.0/8", "0.0.0.0/1", "128.0.0.0/1"), which would let any client choose its address in X-Forwarded-For; name only the proxies\' own addresses or networks, such as 10.0.0.0/8',
    );
  });

  it("refuses ranges that together trust every IPv6 internet peer (2000::/3)", () => {
    for (const everyone of ["2000::/3", "2000::/4,3000::/4", "2000::/4, 3000::/5, 3800::/5"]) {
      expect(() => settingsFromEnv({ TRUSTED_PROXIES: everyone }), everyone).toThrow(
        /^TRUSTED_PROXIES trusts every IPv6 internet peer \(2000::\/3, the global unicast addresses, is covered by .*fd00::\/8$/,
      );
    }
    expect(() => settingsFromEnv({ TRUSTED_PROXIES: "::/1" })).toThrow(
      /^TRUSTED_PROXIES trusts every IPv4 peer and every IPv6 internet peer \(.* are covered by "::\/1"\)/,
    );
  });

  it("takes a large range that leaves some peers out: how large is the operator's choice", () => {
    for (const some of [
      "0.0.0.0/1",
      "128.0.0.0/1",
      "0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/3",
      "::/81",
      "::ffff:0:0/97",
      "2000::/4",
      "2000::/4, 3000::/5",
      "4000::/2, 8000::/1, 2000::/4",
      "loopback, 10.0.0.0/8, fd00::/8",
    ]) {
      expect(
        settingsFromEnv({ TRUSTED_PROXIES: some }).trustedProxies.ranges.length,
        some,
      ).toBeGreaterThan(0);
    }
  });
});

/*
 * The coverage check against a different one: rather than merging ranges, it looks at the only
 * places a gap can start (a block's first address, and the address just past each range) and asks
 * whether some range holds each. Addresses are strings of 128 bits here.
 */
describe("TRUSTED_PROXIES' coverage check, against sampled boundaries", () => {
  type BitRange = { bits: string; prefix: number; text: string };
  const MAPPED_BLOCK = `${"0".repeat(80)}${"1".repeat(16)}`;
  const GLOBAL_BLOCK = "001";

  const bitsOf = (value: number, width: number) => value.toString(2).padStart(width, "0");
  /** The first address past the range's prefix (its prefix bits plus one), or null at the top. */
  const pastEnd = (range: BitRange) => {
    const head = range.bits.slice(0, range.prefix);
    const lastZero = head.lastIndexOf("0");
    if (lastZero === -1) return null;
    return `${head.slice(0, lastZero)}1`.padEnd(128, "0");
  };
  const holds = (range: BitRange, address: string) =>
    address.startsWith(range.bits.slice(0, range.prefix));
  const covers = (ranges: BitRange[], block: string) => {
    const candidates = [block.padEnd(128, "0")];
    for (const range of ranges) {
      const next = pastEnd(range);
      if (next?.startsWith(block)) candidates.push(next);
    }
    return candidates.every((address) => ranges.some((range) => holds(range, address)));
  };
  /** Full, uncompressed IPv6 text: the parser's compression rules play no part. */
  const v6Text = (bits: string, prefix: number) => {
    const groups: string[] = [];
    for (let i = 0; i < 128; i += 16)
      groups.push(Number.parseInt(bits.slice(i, i + 16), 2).toString(16));
    return `${groups.join(":")}/${prefix}`;
  };
  const maskedTo = (bits: string, prefix: number) => bits.slice(0, prefix).padEnd(128, "0");

  const v4Range = fc
    .record({
      prefix: fc.integer({ min: 1, max: 3 }),
      value: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    })
    .map(({ prefix, value }): BitRange => {
      const v4 = maskedTo(bitsOf(value, 32), prefix).slice(0, 32);
      const octets = [0, 8, 16, 24].map((at) => Number.parseInt(v4.slice(at, at + 8), 2));
      return {
        bits: `${MAPPED_BLOCK}${v4}`,
        prefix: 96 + prefix,
        text: `${octets.join(".")}/${prefix}`,
      };
    });
  // Around ::ffff:0:0/96, sometimes with one bit of it flipped.
  const nearMapped = fc
    .record({ prefix: fc.integer({ min: 60, max: 100 }), flip: fc.integer({ min: 0, max: 200 }) })
    .map(({ prefix, flip }): BitRange => {
      let bits = MAPPED_BLOCK.padEnd(128, "0");
      if (flip < 128)
        bits = `${bits.slice(0, flip)}${bits[flip] === "0" ? "1" : "0"}${bits.slice(flip + 1)}`;
      bits = maskedTo(bits, prefix);
      return { bits, prefix, text: v6Text(bits, prefix) };
    });
  // In and around 2000::/3: the first `prefix` of five random bits.
  const nearGlobal = fc
    .record({ prefix: fc.integer({ min: 1, max: 5 }), value: fc.integer({ min: 0, max: 31 }) })
    .map(({ prefix, value }): BitRange => {
      const bits = maskedTo(bitsOf(value, 5).padEnd(128, "0"), prefix);
      return { bits, prefix, text: v6Text(bits, prefix) };
    });

  it("refuses a set of ranges exactly when they cover every IPv4 or every global IPv6 address", () => {
    const seen = { accepted: 0, ipv4: 0, ipv6: 0 };
    fc.assert(
      fc.property(
        fc.array(fc.oneof(v4Range, nearMapped, nearGlobal), { minLength: 1, maxLength: 6 }),
        (ranges) => {
          const setting = ranges.map((range) => range.text).join(",");
          const ipv4 = covers(ranges, MAPPED_BLOCK);
          const ipv6 = covers(ranges, GLOBAL_BLOCK);
          let refusal = "";
          try {
            parseTrustedProxies(setting);
          } catch (error) {
            refusal = (error as Error).message;
          }
          expect(/every IPv4 peer/.test(refusal), setting).toBe(ipv4);
          expect(/every IPv6 internet peer/.test(refusal), setting).toBe(ipv6);
          expect(refusal === "", setting).toBe(!ipv4 && !ipv6);
          if (ipv4) seen.ipv4++;
          if (ipv6) seen.ipv6++;
          if (!ipv4 && !ipv6) seen.accepted++;
        },
      ),
      propertyRuns("trusted-proxies coverage", 2000),
    );
    // The generator reaches both answers often enough for the property to mean something.
    expect(seen.accepted).toBeGreaterThan(200);
    expect(seen.ipv4).toBeGreaterThan(100);
    expect(seen.ipv6).toBeGreaterThan(100);
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
      "203.0.113.9 203.0.113.10",
      "2001:db8::9%eth0",
      "_hidden",
      "203.0.113.256",
      "\u0000",
      // Ports and brackets in any other form than the ones proxies write (below).
      "203.0.113.9:",
      "203.0.113.9:65536",
      "203.0.113.9:123456",
      "203.0.113.9:+80",
      "203.0.113.9:8a",
      "203.0.113.9:80:80",
      "203.0.113.9 :80",
      "[203.0.113.9]",
      "[203.0.113.9]:80",
      "[2001:db8::9]:",
      "[2001:db8::9]:65536",
      "[2001:db8::9]80",
      "[2001:db8::9",
      "2001:db8::9]",
      "[[2001:db8::9]]",
      "[]",
      "[]:80",
      "[fe80::1%eth0]:80",
      "::ffff:203.0.113.9:80",
      "203.0.113.256:80",
      "host:80",
    ]) {
      expect(client(chain, "127.0.0.1", `6.6.6.6, ${bad}`), bad).toBe("127.0.0.1");
      expect(client(chain, "127.0.0.1", `6.6.6.6, ${bad}, fd00::1`), bad).toBe("fd00::1");
    }
  });

  it("takes an entry with the port some proxies add, or an IPv6 one in brackets", () => {
    for (const [entry, address] of [
      ["203.0.113.9:4711", "203.0.113.9"],
      ["203.0.113.9:1", "203.0.113.9"],
      ["203.0.113.9:65535", "203.0.113.9"],
      ["[2001:db8::9]:4711", "2001:db8::9"],
      ["[2001:DB8:0::9]", "2001:db8::9"],
      ["[::ffff:203.0.113.9]:80", "203.0.113.9"],
    ] as const) {
      expect(client(chain, "127.0.0.1", `6.6.6.6, ${entry}`), entry).toBe(address);
      expect(client(chain, "127.0.0.1", `6.6.6.6, ${entry}, 10.1.1.1`), entry).toBe(address);
    }
    // A trusted hop with a port is still a trusted hop.
    expect(client(chain, "127.0.0.1", "203.0.113.9, 10.1.1.1:4711, [fd00::2]:80")).toBe(
      "203.0.113.9",
    );
  });

  it("takes the address and port forms, and only them, as a parser built on isIP does", () => {
    const reference = (entry: string) => {
      const port = (text: string | undefined) =>
        text === undefined || (/^\d{1,5}$/.test(text) && Number(text) <= 65535);
      if (isIP(entry) !== 0) return true;
      const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
      if (bracketed) return isIP(bracketed[1] ?? "") === 6 && port(bracketed[2]);
      const withPort = /^([^:]*):(.*)$/.exec(entry);
      if (withPort) return isIP(withPort[1] ?? "") === 4 && port(withPort[2]);
      return false;
    };
    const near = fc.string({
      unit: fc.constantFrom(..."0123456789abcdef:.[]:. "),
      maxLength: 30,
    });
    const withPort = fc
      .tuple(
        fc.oneof(
          fc.ipV4(),
          fc.ipV6().map((v6) => `[${v6}]`),
        ),
        fc.nat({ max: 99999 }),
      )
      .map(([address, port]) => `${address}:${port}`);
    fc.assert(
      fc.property(
        fc.oneof(
          near,
          withPort,
          fc.ipV6().map((v6) => `[${v6}]`),
        ),
        (entry) => {
          // Blank entries are skipped (tested above); a zone is tested above too.
          if (entry.trim() !== entry || entry === "" || entry.includes("%")) return;
          const taken = client(chain, "127.0.0.1", `6.6.6.6, ${entry}`) !== "127.0.0.1";
          expect(taken, entry).toBe(reference(entry));
        },
      ),
      propertyRuns("trusted-proxies forwarded entries", 2000),
    );
  });

  it("writes the peer one way too, so a client reaching the server directly and through the proxy is one client", () => {
    // A listener on :: reports an IPv4 peer as ::ffff:a.b.c.d; through the proxy it is a.b.c.d.
    expect(client(one, "::ffff:9.9.9.9", "203.0.113.9")).toBe("9.9.9.9");
    expect(client(one, "127.0.0.1", "9.9.9.9")).toBe("9.9.9.9");
    // The trusted peer itself, when it is the client.
    expect(client(one, "::ffff:127.0.0.1", undefined)).toBe("127.0.0.1");
    expect(client(one, "::ffff:127.0.0.1", "garbage")).toBe("127.0.0.1");
    expect(client(chain, "::ffff:127.0.0.1", "10.2.2.2, 10.1.1.1")).toBe("10.2.2.2");
    // IPv6 peers as Node writes them, already one spelling.
    expect(client(one, "2001:db8::9", "203.0.113.9")).toBe("2001:db8::9");
    expect(client(one, "fe80::1%eth0", "203.0.113.9")).toBe("fe80::1%eth0");
    // With no proxy trusted (the default), the peer is what the socket says: one spelling already,
    // since no client arrives any other way.
    expect(client(parseTrustedProxies(""), "::ffff:9.9.9.9", "203.0.113.9")).toBe("::ffff:9.9.9.9");
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
