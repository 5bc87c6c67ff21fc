import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, expectTypeOf, it } from "vitest";
import { batchableOnce, type Placeholders, preparedOnce } from "../../src/db/prepared";
import { idempotencyKeys } from "../../src/db/schema";
import { d1Database } from "../../src/worker/d1";

/*
 * batchableOnce's items: run by db.batch(), typed so that nothing else is mistaken for running them.
 * preparedOnce's statements: their values typed by the placeholders' names.
 */

const db = d1Database(env.DB);

const keyOnFile = batchableOnce((db, value: Placeholders<"key">) =>
  db
    .select({ key: idempotencyKeys.key })
    .from(idempotencyKeys)
    .where(eq(idempotencyKeys.key, value("key"))),
);

describe("batchableOnce", () => {
  it("runs in a batch with each call's values, its rows typed as the statement's", async () => {
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (key, request_hash, response_status, response_body, expires_at) VALUES ('prepared-a', 'h', 200, '{}', 1)",
    ).run();
    const [found, missing] = await db.batch([
      keyOnFile(db, { key: "prepared-a" }),
      keyOnFile(db, { key: "prepared-b" }),
    ]);
    expectTypeOf(found).toEqualTypeOf<{ key: string }[]>();
    expect(found).toEqual([{ key: "prepared-a" }]);
    expect(missing).toEqual([]);
  });

  it("refuses, at compile time, an item awaited on its own and values named unlike its placeholders", () => {
    // Never called: only the compiler reads this (an unused @ts-expect-error fails typecheck).
    const wrongUses = async () => {
      const item = keyOnFile(db, { key: "k" });
      // @ts-expect-error only db.batch() runs it: awaited on its own, it would run nothing
      await item;
      // @ts-expect-error it is not a query builder: no all(), get(), run() or execute()
      void item.all();
      // @ts-expect-error the statement's placeholder is `key`
      void keyOnFile(db, { kye: "k" });
      // @ts-expect-error every placeholder needs its value
      void keyOnFile(db, {});
      void batchableOnce((db, value: Placeholders<"key">) => {
        // @ts-expect-error a placeholder its type does not name
        void value("kye");
        return db.select().from(idempotencyKeys);
      });
      // Its type not written out, the builder gets Placeholders<never> and may make none.
      void batchableOnce((db, value) => {
        // @ts-expect-error not a name of Placeholders<never>
        void value("key");
        return db.select().from(idempotencyKeys);
      });
    };
    expect(wrongUses).toBeTypeOf("function");
  });
});

const keyByName = preparedOnce((db, value: Placeholders<"key">) =>
  db
    .select({ key: idempotencyKeys.key })
    .from(idempotencyKeys)
    .where(eq(idempotencyKeys.key, value("key"))),
);

describe("preparedOnce", () => {
  it("runs with each call's values, prepared once for one database object", async () => {
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (key, request_hash, response_status, response_body, expires_at) VALUES ('prepared-c', 'h', 200, '{}', 1)",
    ).run();
    expect(keyByName(db)).toBe(keyByName(db));
    const found = await keyByName(db).get({ key: "prepared-c" });
    expectTypeOf(found).toEqualTypeOf<{ key: string } | undefined>();
    expect(found).toEqual({ key: "prepared-c" });
    expect(await keyByName(db).all({ key: "prepared-d" })).toEqual([]);
  });

  it("refuses, at compile time, values named unlike its placeholders", () => {
    // Never called: only the compiler reads this.
    const wrongUses = async () => {
      // @ts-expect-error the statement's placeholder is `key`
      await keyByName(db).get({ kye: "k" });
      // @ts-expect-error every placeholder needs its value
      await keyByName(db).all({});
      // @ts-expect-error hot reads get and all; nothing else of drizzle's prepared query
      await keyByName(db).run({ key: "k" });
    };
    expect(wrongUses).toBeTypeOf("function");
  });
});
