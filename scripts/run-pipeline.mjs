// `pnpm start`: runs the whole pipeline locally with development defaults (market simulator, paper
// trading), merges every service's log into this console, writes a few demo trade intents into
// Redis once the services are ready, prints positions and PnL periodically, and stops everything
// cleanly on Ctrl-C.
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";

const SYMBOLS = process.env.SYMBOLS ?? "BTCUSDT,ETHUSDT";
const INTENT_STREAM = process.env.TRADE_INTENT_STREAM ?? "quantum:stream:trade.intent";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const COMMON = { LOG_FORMAT: "pretty", SYMBOLS, ...process.env };
/** The services' HTTP ports are this and the next three. */
const PORT_BASE = Number(process.env.PIPELINE_HTTP_PORT_BASE ?? 8081);
if (!Number.isInteger(PORT_BASE) || PORT_BASE < 1 || PORT_BASE > 65_532) {
  console.error(
    `PIPELINE_HTTP_PORT_BASE must be a port from 1 to 65532 (it and the next three are used), got "${process.env.PIPELINE_HTTP_PORT_BASE}"`,
  );
  process.exit(2);
}

const SERVICES = [
  { name: "market-relay", port: PORT_BASE, env: { MARKET_SOURCE: "simulator", SIM_SPEED: "10" } },
  { name: "realtime-strategies", port: PORT_BASE + 1, env: {} },
  { name: "trade-intent-consumer", port: PORT_BASE + 2, env: { TRADE_INTENT_STREAM: INTENT_STREAM } },
  { name: "trade-engine", port: PORT_BASE + 3, env: { TRADING_MODE: "paper" } },
];

const say = (message) => console.log(`\x1b[35m[run]\x1b[0m ${message}`);
const children = new Map();

for (const svc of SERVICES) {
  const main = `services/${svc.name}/dist/main.js`;
  if (!existsSync(main)) {
    say(`${svc.name}: not built yet (no ${main}); skipping`);
    continue;
  }
  const child = spawn(process.execPath, [main], {
    env: { ...COMMON, ...svc.env, HTTP_PORT: String(svc.port) },
    stdio: ["ignore", "inherit", "inherit"],
    // Its own process group: Ctrl-C (SIGINT to the terminal's whole group) reaches this runner only,
    // which stops each service once. A service given both would take the SIGTERM as a second
    // signal and exit at once, its graceful shutdown cut short.
    detached: true,
  });
  child.on("exit", (code, signal) => {
    children.delete(svc.name);
    say(`${svc.name} exited (code ${code}, signal ${signal})`);
  });
  children.set(svc.name, { child, port: svc.port });
}
if (children.size === 0) {
  say("no service is built yet: nothing to run");
  process.exit(0);
}

async function ready(port) {
  try {
    return (await fetch(`http://127.0.0.1:${port}/ready`)).ok;
  } catch {
    return false;
  }
}

async function waitReady(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const states = await Promise.all([...children.values()].map((c) => ready(c.port)));
    if (states.every(Boolean)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

function writeDemoIntents() {
  const now = new Date().toISOString();
  const stale = new Date(Date.now() - 3 * 3600_000).toISOString();
  const intents = [
    [
      "fresh BUY",
      {
        symbol: "BTCUSDT",
        side: "BUY",
        confidence: "0.8",
        position_size_usd: "200",
        leverage: "1",
        timestamp: now,
        model: "demo",
      },
    ],
    [
      "stale BUY (3 h old: counted as stale, never executed)",
      { symbol: "ETHUSDT", side: "BUY", confidence: "0.9", timestamp: stale, model: "demo" },
    ],
    [
      "invalid (leverage 500: dead-lettered with its reason)",
      { symbol: "BTCUSDT", side: "BUY", confidence: "0.7", leverage: "500", timestamp: now },
    ],
  ];
  for (const [label, fields] of intents) {
    try {
      const id = execFileSync(
        "redis-cli",
        ["-u", REDIS_URL, "XADD", INTENT_STREAM, "*", ...Object.entries(fields).flat()],
        { encoding: "utf8" },
      ).trim();
      say(`demo intent written to ${INTENT_STREAM}: ${label} (entry ${id})`);
    } catch (error) {
      say(`could not write demo intent (${label}): ${error.message}`);
    }
  }
}

async function printPortfolio() {
  const engine = children.get("trade-engine");
  if (!engine) return;
  try {
    const positions = await (await fetch(`http://127.0.0.1:${engine.port}/positions`)).json();
    say(`positions: ${JSON.stringify(positions)}`);
  } catch (error) {
    say(`positions unavailable: ${error.message}`);
  }
}

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  say("stopping every service (SIGTERM)");
  for (const { child } of children.values()) child.kill("SIGTERM");
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
// A closed terminal no longer reaches the services (their own group): this runner stops them.
process.on("SIGHUP", stop);
// Its output gone (piped into a pager or `head` that exited): stop them as a closed terminal does,
// rather than die on the broken pipe (its later lines fail the same way and are not said).
process.stdout.on("error", stop);
// Should this runner fail, its services (in their own group) are not left running.
process.on("exit", () => {
  for (const { child } of children.values()) child.kill("SIGTERM");
});

const timer = setInterval(printPortfolio, 20_000);
if (await waitReady(60_000)) {
  say(
    `every service is ready: ${[...children.entries()].map(([n, c]) => `${n} http://127.0.0.1:${c.port}`).join(", ")}`,
  );
  if (children.has("trade-intent-consumer")) writeDemoIntents();
} else if (!stopping) {
  say(
    "not every service became ready within 60 s: see the log lines above (GET /ready names what is missing)",
  );
}
await Promise.all(
  [...children.values()].map(
    ({ child }) => new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r))),
  ),
);
clearInterval(timer);
say("all services stopped");
