import { fileURLToPath } from "node:url";
import { ServiceProcess } from "@tradewire/testkit";

export type ServiceName =
  | "market-relay"
  | "realtime-strategies"
  | "trade-intent-consumer"
  | "trade-engine"
  | "kline-extractor";

const repo = fileURLToPath(new URL("..", import.meta.url));

/** Starts a built service (`services/<name>/dist/main.js`) on a free port with the given env. */
export async function startService(name: ServiceName, env: Record<string, string>): Promise<ServiceProcess> {
  const svc = new ServiceProcess({
    name,
    entry: `${repo}services/${name}/dist/main.js`,
    cwd: `${repo}services/${name}`,
    // The service picks a free port and logs it (no race with parallel tests for a port found free).
    env: { HTTP_PORT: "0", HEARTBEAT_INTERVAL_S: "5", ...env },
    echo: process.env.E2E_ECHO === "1",
  });
  return svc.start();
}
