import { defineConfig } from "vitest/config";

// End-to-end tests: real services as child processes against the real NATS, Redis and PostgreSQL.
export default defineConfig({
  test: {
    root: new URL(".", import.meta.url).pathname,
    include: ["**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
