import type pg from "pg";

let made = 0;

/**
 * Makes PostgreSQL refuse writes to `table` (`write refused (<table>)`): a database failure at an
 * exact point. `when` (SQL over NEW, or OLD for a DELETE) narrows the rows; `times` refuses only
 * the first that many of them. Returns what undoes it.
 */
export async function refuseWrites(
  pool: Pick<pg.Pool, "query">,
  o: {
    table: string;
    on: "INSERT" | "UPDATE" | "DELETE" | "INSERT OR UPDATE";
    when?: string;
    times?: number;
  },
): Promise<() => Promise<void>> {
  const name = `refuse_${o.table}_${++made}`;
  const counted = o.times === undefined ? "true" : `nextval('${name}') <= ${o.times}`;
  await pool.query(`CREATE SEQUENCE ${name}`);
  await pool.query(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${o.when ?? "true"} THEN
        IF ${counted} THEN RAISE EXCEPTION 'write refused (${o.table})'; END IF;
      END IF;
      RETURN coalesce(NEW, OLD);
    END $$`);
  await pool.query(
    `CREATE TRIGGER ${name} BEFORE ${o.on} ON ${o.table} FOR EACH ROW EXECUTE FUNCTION ${name}()`,
  );
  return async () => {
    await pool.query(`DROP TRIGGER ${name} ON ${o.table}`);
  };
}
