import { BlockList } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressKey } from "../../src/lib/security/address-key";
import { propertyRuns } from "../support/property-seed";

/*
 * The write limit's key for a caller without a verified API key (src/lib/security/address-key.ts):
 * IPv4 per address, IPv6 per /64, the least an ISP gives one subscriber, so rotating the source
 * address inside one's own allocation buys no new allowance (docs/security.md, "The write rate
 * limit").
 */

describe("addressKey", () => {
  it("keys IPv4 by the address, and IPv4-mapped IPv6 as that IPv4 address", () => {
    expect(addressKey("203.0.113.7")).toBe("ip:203.0.113.7");
    expect(addressKey("::ffff:203.0.113.7")).toBe("ip:203.0.113.7");
    expect(addressKey("::FFFF:cb00:7107")).toBe("ip:203.0.113.7");
    expect(addressKey("0:0:0:0:0:ffff:203.0.113.7")).toBe("ip:203.0.113.7");
    expect(addressKey("203.0.113.8")).not.toBe(addressKey("203.0.113.7"));
  });

  it("keys IPv6 by its /64, however the address is written", () => {
    const key = "ip:2001:db8:1:2::/64";
    for (const written of [
      "2001:db8:1:2::1",
      "2001:db8:1:2:abcd:ef01:2345:6789",
      "2001:0db8:0001:0002:0000:0000:0000:0001",
      "2001:DB8:1:2:FFFF:FFFF:FFFF:FFFF",
      "2001:db8:1:2::",
    ]) {
      expect(addressKey(written), written).toBe(key);
    }
    expect(addressKey("2001:db8:1:3::1")).toBe("ip:2001:db8:1:3::/64");
    expect(addressKey("2001:db8::1")).toBe("ip:2001:db8::/64");
    expect(addressKey("::1")).toBe("ip:::/64");
    // A link-local peer's zone is where it was reached, not part of its address.
    expect(addressKey("fe80::1%eth0")).toBe("ip:fe80::/64");
  });

  it("keeps text that is not an address as it is, and a missing address as unknown", () => {
    expect(addressKey(undefined)).toBe("ip:unknown");
    expect(addressKey("unknown")).toBe("ip:unknown");
    expect(addressKey("garbage")).toBe("ip:garbage");
    expect(addressKey("2001:db8::1::2")).toBe("ip:2001:db8::1::2");
    expect(addressKey("203.0.113.07")).toBe("ip:203.0.113.07");
  });

  it("gives two IPv6 addresses one key exactly when they share a /64 (Node's BlockList decides), written as RFC 5952 writes that prefix", () => {
    // Pairs that often share their first 64 bits: b is a's first four groups and four of its own.
    const pair = fc
      .tuple(fc.ipV6(), fc.ipV6(), fc.boolean())
      .map(([a, other, share]) => [a, share ? `${firstHalf(a)}:${lastHalf(other)}` : other]);
    fc.assert(
      fc.property(pair, ([a = "", b = ""]) => {
        const key = addressKey(a);
        if (isMapped(a)) return expect(key).toBe(`ip:${mappedV4(a)}`);
        const prefix = /^ip:(.+)\/64$/.exec(key)?.[1] ?? "";
        expect(`[${prefix}]`).toBe(new URL(`http://[${prefix}]`).hostname);
        const subnet = new BlockList();
        subnet.addSubnet(prefix, 64, "ipv6");
        expect(subnet.check(a, "ipv6")).toBe(true);
        if (!isMapped(b)) expect(addressKey(b) === key).toBe(subnet.check(b, "ipv6"));
      }),
      propertyRuns("rate-limit key /64", 2000),
    );
  });
});

/** The eight groups of an IPv6 address, as the WHATWG URL parser reads it. */
function groups(address: string): string[] {
  const host = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const [left = "", right] = host.split("::");
  const head = left === "" ? [] : left.split(":");
  const tail = right === undefined || right === "" ? [] : right.split(":");
  return [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail];
}

const firstHalf = (address: string) => groups(address).slice(0, 4).join(":");
const lastHalf = (address: string) => groups(address).slice(4).join(":");
const isMapped = (address: string) => groups(address).slice(0, 6).join(":") === "0:0:0:0:0:ffff";

/** The IPv4 address an IPv4-mapped one carries in its last two groups. */
function mappedV4(address: string): string {
  const [high = 0, low = 0] = groups(address)
    .slice(6)
    .map((group) => Number.parseInt(group, 16));
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}
