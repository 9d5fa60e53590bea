import { defineConfig } from "vitest/config";

// Deployment tests: helm lint/template on every service's values, and the Dockerfile rules.
export default defineConfig({
  test: {
    root: new URL(".", import.meta.url).pathname,
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 60_000,
  },
});
