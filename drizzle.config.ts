import { defineConfig } from "drizzle-kit";

// drizzle-kit writes into the same folder wrangler applies from (wrangler.toml migrations_dir).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
