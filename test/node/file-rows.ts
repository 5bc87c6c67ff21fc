import { createClient } from "@libsql/client";
import { plainRows } from "../support/libsql-rows";

/** Rows of a database file, read with a connection of the test's own, closed after. */
export async function selectFromFile<T = Record<string, unknown>>(
  database: string,
  sql: string,
  args: (number | string)[] = [],
): Promise<T[]> {
  const client = createClient({ url: `file:${database}` });
  try {
    return plainRows<T>(await client.execute({ sql, args }));
  } finally {
    client.close();
  }
}
