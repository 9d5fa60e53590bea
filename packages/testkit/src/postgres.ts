import pg from "pg";
import { uniqueName } from "./ids.js";

export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * A PostgreSQL schema for one test: `url` selects it through `options=-c search_path=...`, so code
 * under test needs no special casing. `cleanup()` drops it.
 */
export async function pgSchema(
  prefix = "t",
): Promise<{ schema: string; url: string; pool: pg.Pool; cleanup(): Promise<void> }> {
  const schema = uniqueName(prefix).toLowerCase();
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  const url = withSearchPath(DATABASE_URL, schema);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  return {
    schema,
    url,
    pool,
    async cleanup() {
      await pool.end();
      const drop = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
      await drop.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await drop.end();
    },
  };
}

export function withSearchPath(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}
