import { fileURLToPath } from "node:url";
import { freePort, ServiceProcess } from "@tradewire/testkit";

export type ServiceName =
  | "market-relay"
  | "realtime-strategies"
  | "trade-intent-consumer"
  | "trade-engine"
  | "kline-extractor";

const repo = fileURLToPath(new URL("..", import.meta.url));

/** Starts a built service (`services/<name>/dist/main.js`) on a free port with the given env. */
export async function startService(name: ServiceName, env: Record<string, string>): Promise<ServiceProcess> {
  // The service picks a free port and logs it at info (no race with parallel tests for a port found
  // free); a quieter LOG_LEVEL (the benchmark's) hides that line, so a free port is given instead.
  const quiet = env.LOG_LEVEL === "warn" || env.LOG_LEVEL === "error";
  const svc = new ServiceProcess({
    name,
    entry: `${repo}services/${name}/dist/main.js`,
    cwd: `${repo}services/${name}`,
    env: { HTTP_PORT: quiet ? String(await freePort()) : "0", HEARTBEAT_INTERVAL_S: "5", ...env },
    echo: process.env.E2E_ECHO === "1",
  });
  return svc.start();
}
