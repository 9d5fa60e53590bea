// Pipeline latency and throughput: a market event (depth20) published on NATS -> realtime-strategies
// (orderbook_skew) -> signals.trading (JetStream) -> trade-engine (paper) -> orders.filled, measured
// from the market event's publish to the fill event's arrival; next to a bare NATS core
// publish->receive baseline at the same rate, in the same run. Prints one JSON object.
import { Bus } from "@tradewire/bus";
import { createSilentLogger } from "@tradewire/logger";
import { MarketData, OrderEvent, subjects } from "@tradewire/schemas";
import { bookTicker, natsNamespace, percentile, pgSchema, round3 as r3, waitFor } from "@tradewire/testkit";
import { startService } from "./services.js";

const RATE = Number(process.env.BENCH_PIPELINE_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_PIPELINE_SECONDS ?? 10);
const ns = await natsNamespace("bench");
const db = await pgSchema("bench");
const bus = await Bus.connect({
  servers: ns.url,
  name: "bench",
  logger: createSilentLogger(),
  namespace: ns.namespace,
});

async function paced(n: number, send: (i: number) => void): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    send(i);
    const due = started + ((i + 1) * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

// Baseline: bare core publish -> receive on the same server at the same rate.
const bare: number[] = [];
const sub = bus.nc.subscribe(`${ns.namespace}.bench.ping`, {
  callback: (_e, m) => void bare.push(performance.now() - Number(m.string())),
});
await paced(RATE * 3, () => bus.nc.publish(`${ns.namespace}.bench.ping`, String(performance.now())));
await bus.nc.flush();
sub.unsubscribe();

const env = {
  NATS_URL: ns.url,
  TRADEWIRE_NAMESPACE: ns.namespace,
  DATABASE_URL: db.url,
  SYMBOLS: "BTCUSDT",
  LOG_LEVEL: "warn",
  COOLDOWN_SECONDS: "0",
  WARMUP_ENABLED: "false",
  MAX_NOTIONAL_PER_SYMBOL: "1e12",
  MAX_PORTFOLIO_EXPOSURE: "1e12",
  MAX_NOTIONAL_PER_POSITION: "1e12",
  DAILY_LOSS_LIMIT: "1e12",
  ...Object.fromEntries(
    [
      "spread_liquidity",
      "trade_momentum",
      "ema_pullback_continuation",
      "momentum_pulse",
      "rsi_extreme_reversal",
      "bollinger_breakout",
      "multi_timeframe_trend",
    ].map((n) => [`STRATEGY_ENABLED_${n.toUpperCase()}`, "false"]),
  ),
};
const engine = await startService("trade-engine", env);
const strategies = await startService("realtime-strategies", env);
await Promise.all([engine.waitReady(30_000), strategies.waitReady(30_000)]);

const sentAt = new Map<string, number>();
const latencies: number[] = [];
const fills = bus.nc.subscribe(`${ns.namespace}.${subjects.orderEvent("filled")}`, {
  callback: (_e, m) => {
    const ev = OrderEvent.parse(m.json());
    const t0 = sentAt.get(ev.signal_id);
    if (t0 !== undefined) latencies.push(performance.now() - t0);
  },
});
const quote = () =>
  bus.publish(
    subjects.marketData("BTCUSDT", "bookTicker"),
    MarketData,
    bookTicker("BTCUSDT", "30000.00", "30000.01"),
  );
quote();
const total = RATE * SECONDS;
const started = performance.now();
let eventTime = Date.now();
await paced(total, (i) => {
  if (i % 20 === 0) quote();
  eventTime = Math.max(eventTime + 1, Date.now());
  const side = i % 2 === 0;
  sentAt.set(`orderbook_skew-BTCUSDT-${eventTime}`, performance.now());
  bus.publish(subjects.marketData("BTCUSDT", "depth20"), MarketData, {
    venue: "binance",
    market: "spot",
    kind: "depth20",
    symbol: "BTCUSDT",
    eventTime,
    receiveTime: Date.now(),
    lastUpdateId: i,
    bids: [
      ["30000.00", side ? "9" : "1"],
      ["29999.99", side ? "9" : "1"],
    ],
    asks: [
      ["30000.01", side ? "1" : "9"],
      ["30000.02", side ? "1" : "9"],
    ],
  });
});
await waitFor("fills drained", () => latencies.length >= total * 0.99, 60_000, 100).catch(() => undefined);
const elapsed = (performance.now() - started) / 1000;
fills.unsubscribe();
await Promise.all([engine.stop(), strategies.stop()]);
await bus.drain();
await ns.cleanup();
await db.cleanup();

const lat = latencies;
const base = bare;
console.log(
  JSON.stringify({
    name: "pipeline (market event -> signal -> paper fill)",
    results: [
      {
        metric: `p50 latency at ${RATE} events/s`,
        value: r3(percentile(lat, 0.5)),
        unit: "ms",
        baseline: r3(percentile(base, 0.5)),
        ratio: r3(percentile(lat, 0.5) / percentile(base, 0.5)),
      },
      {
        metric: `p99 latency at ${RATE} events/s`,
        value: r3(percentile(lat, 0.99)),
        unit: "ms",
        baseline: r3(percentile(base, 0.99)),
        ratio: r3(percentile(lat, 0.99) / percentile(base, 0.99)),
      },
      {
        metric: `p999 latency at ${RATE} events/s`,
        value: r3(percentile(lat, 0.999)),
        unit: "ms",
        baseline: r3(percentile(base, 0.999)),
        ratio: r3(percentile(lat, 0.999) / percentile(base, 0.999)),
      },
      {
        metric: "sustained fills/s (every event fills)",
        value: Math.round(latencies.length / elapsed),
        unit: "fills/s",
        baseline: RATE,
        ratio: r3(latencies.length / elapsed / RATE),
      },
    ],
  }),
);
process.exit(0);
