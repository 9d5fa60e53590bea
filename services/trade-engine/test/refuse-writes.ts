import type pg from "pg";

let made = 0;

interface WriteMatch {
  table: string;
  on: "INSERT" | "UPDATE" | "DELETE" | "INSERT OR UPDATE";
  /** SQL over NEW (or OLD for a DELETE) narrowing the rows. */
  when?: string;
  /** Only the first that many matching rows. */
  times?: number;
}

/**
 * Makes PostgreSQL refuse writes to `table` (`write refused (<table>)`): a database failure at an
 * exact point. Returns what undoes it.
 */
export function refuseWrites(pool: Pick<pg.Pool, "query">, o: WriteMatch): Promise<() => Promise<void>> {
  return onWrite(pool, o, `RAISE EXCEPTION 'write refused (${o.table})'`);
}

/** Makes PostgreSQL take `seconds` over each matching write: a database that stalls at an exact point. */
export function delayWrites(
  pool: Pick<pg.Pool, "query">,
  o: WriteMatch & { seconds: number },
): Promise<() => Promise<void>> {
  return onWrite(pool, o, `PERFORM pg_sleep(${o.seconds})`);
}

async function onWrite(
  pool: Pick<pg.Pool, "query">,
  o: WriteMatch,
  action: string,
): Promise<() => Promise<void>> {
  const name = `on_write_${o.table}_${++made}`;
  const counted = o.times === undefined ? "true" : `nextval('${name}') <= ${o.times}`;
  await pool.query(`CREATE SEQUENCE ${name}`);
  await pool.query(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${o.when ?? "true"} THEN
        IF ${counted} THEN ${action}; END IF;
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
