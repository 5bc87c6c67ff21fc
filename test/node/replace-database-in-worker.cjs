/*
 * Preloaded into `npm run serve` (NODE_OPTIONS=--require) by a test: the first HTTP worker to
 * start moves the database file DATABASE_URL names aside and puts a text file at its path, as an
 * operator copying the wrong file over a running server's database does between the primary's
 * checks and a worker's open. The workers then refuse the file as no database. Nothing in the
 * primary, which has opened and migrated the real one by then.
 */
const cluster = require("node:cluster");
const { closeSync, openSync, renameSync, writeFileSync } = require("node:fs");

if (cluster.isWorker && process.env.REPLACE_DATABASE_IN_WORKER === "true") {
  const path = (process.env.DATABASE_URL ?? "").replace(/^file:/, "");
  let first = true;
  try {
    closeSync(openSync(`${path}.replaced`, "wx"));
  } catch (error) {
    if (error.code !== "EEXIST") throw error;
    first = false;
  }
  if (first) {
    renameSync(path, `${path}.aside`);
    writeFileSync(path, "not a database\n");
  }
}
