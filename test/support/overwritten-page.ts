import { open } from "node:fs/promises";
import NativeDatabase from "libsql";

/**
 * Overwrites the page header and first cell pointers of `table`'s (or an index's) root page in
 * the database file at `path`, as a disk or a hand can: the schema still reads, so the file
 * opens, but SQLite can no longer read that page as a b-tree page (SQLITE_CORRUPT).
 */
export async function overwriteRootPage(path: string, table: string): Promise<void> {
  const database = new NativeDatabase(path, { readonly: true });
  const [root] = database
    .prepare("SELECT rootpage FROM sqlite_schema WHERE name = ?")
    .raw(true)
    .get([table]) as [number];
  const [pageSize] = database.prepare("PRAGMA page_size").raw(true).get([]) as [number];
  database.close();
  const file = await open(path, "r+");
  await file.write(Buffer.alloc(64, 0xab), 0, 64, (root - 1) * pageSize);
  await file.close();
}
