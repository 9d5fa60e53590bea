import { createSilentLogger } from "@tradewire/logger";
import { pgSchema } from "@tradewire/testkit";
import { afterEach, beforeEach } from "vitest";
import { EngineStore } from "../src/store.js";

/**
 * An EngineStore, migrated, in a schema of its own for each test of the file (a real PostgreSQL):
 * read `store` and `db` inside the tests. `leaseSeconds`: how long a claim holds, as a replica sees it.
 */
export function migratedStore(prefix: string, leaseSeconds = 30) {
  let db: Awaited<ReturnType<typeof pgSchema>> | undefined;
  let store: EngineStore | undefined;
  beforeEach(async () => {
    db = await pgSchema(prefix);
    store = EngineStore.connect(db.url, createSilentLogger(), leaseSeconds);
    await store.migrate();
  });
  afterEach(async () => {
    await store?.pool.end();
    await db?.cleanup();
  });
  const set = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("migratedStore: read inside a test, after beforeEach");
    return value;
  };
  return {
    get store(): EngineStore {
      return set(store);
    },
    get db() {
      return set(db);
    },
  };
}
