// Starts every built service with development defaults and merges their logs into one stream.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

const SERVICES = [
  { name: "market-relay", port: 8081 },
  { name: "realtime-strategies", port: 8082 },
  { name: "trade-intent-consumer", port: 8083 },
  { name: "trade-engine", port: 8084 },
  { name: "kline-extractor", port: 8085 },
];

const children = [];
for (const svc of SERVICES) {
  const main = `services/${svc.name}/dist/main.js`;
  if (!existsSync(main)) {
    console.log(`[run] ${svc.name}: not built yet (no ${main}); skipping`);
    continue;
  }
  const child = spawn(process.execPath, [main], {
    env: { LOG_FORMAT: "pretty", ...process.env, HTTP_PORT: String(svc.port) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  child.on("exit", (code, signal) =>
    console.log(`[run] ${svc.name} exited (code ${code}, signal ${signal})`),
  );
  children.push(child);
}
if (children.length === 0) console.log("[run] no service is built yet: nothing to run");

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  console.log("[run] stopping every service");
  for (const c of children) c.kill("SIGTERM");
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once("exit", r)))));
