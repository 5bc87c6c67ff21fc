import { drizzle } from "drizzle-orm/d1";
import { type Database, schema } from "../db/database";

/** The Worker's default database: the D1 binding. */
export function d1Database(d1: D1Database): Database {
  return drizzle(d1, { schema });
}
