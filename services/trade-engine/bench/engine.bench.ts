// Signals/s through the full paper pipeline (parse, dedup, risk, fill, persist, ack) next to a bare
// JetStream publish -> consume -> ack loop over the same number of messages (after a warm-up run),
// in interleaved pairs whose medians are compared;
// and the publish -> orders.filled latency at a steady rate next to the same hops through a bare
// relay (bench/bare-relay.ts: publish -> consume -> publish "done" -> ack, no decision, no
// database) and through the same relay storing each arrival batch in PostgreSQL before answering
// (the floor with a durable commit in it), in the same run. The engine and the relays run as their
// own processes (the engine as deployed, dist/main.js), so the load generator does not share their
// event loop. Prints one JSON object.
import { existsSync } from "node:fs";
import { Bus, STREAMS } from "@tradewire/bus";
import { createSilentLogger } from "@tradewire/logger";
import { MarketData, subjects, TradingSignal } from "@tradewire/schemas";
import {
  bookTicker,
  freePort,
  natsNamespace,
  percentile as pct,
  pgSchema,
  round3 as r3,
  ServiceProcess,
  waitFor,
} from "@tradewire/testkit";

const N = Number(process.env.BENCH_SIGNALS ?? 5_000);
/** Throughput pairs (bare loop, then engine), medians reported. */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** The latency target is stated at 1,000 signals/s. */
const RATE = Number(process.env.BENCH_SIGNAL_RATE ?? 1_000);
const ns = await natsNamespace("engbench");
const db = await pgSchema("engbench");
const bus = await Bus.connect({
  servers: ns.url,
  name: "bench",
  logger: createSilentLogger(),
  namespace: ns.namespace,
});

// Baseline: bare JetStream publish (acks in flight) -> pull consume -> ack.
const bareStream = { ...STREAMS.signals, name: "BENCH_BARE", subjects: ["bench.bare"] };
await bus.ensureStream(bareStream);
await bus.ensureConsumer(bareStream, "bare");
const bareConsumer = await bus.js.consumers.get(bus.ns.resource("BENCH_BARE"), bus.ns.resource("bare"));
/** N messages published with acks in flight, then consumed and acked: the rate of the whole. */
async function bareLoop(run: string): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      bus.js.publish(bus.ns.subject("bench.bare"), JSON.stringify({ i }), { msgID: `${run}${i}` }),
    ),
  );
  const msgs = await bareConsumer.consume({ max_messages: 100 });
  let got = 0;
  for await (const m of msgs) {
    m.ack();
    if (++got === N) break;
  }
  return N / ((performance.now() - t0) / 1000);
}
// A cold first run (JIT, connections) would flatter the engine's ratio: it is not counted.
await bareLoop("warm");

/**
 * Sends RATE messages per second for 5 s, each when it is due (publish acks in flight, not awaited
 * one by one, so a slow ack never delays the next send), then waits until `arrived` counts them
 * all. Returns the rate achieved.
 */
async function steadyRate(send: (i: number) => Promise<unknown>, arrived: () => number): Promise<number> {
  const total = RATE * 5;
  const acks: Promise<unknown>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * RATE) / 1000) + 1);
    for (; i < due; i++) acks.push(send(i));
    await new Promise((r) => setTimeout(r, 1));
  }
  const achieved = total / ((performance.now() - start) / 1000);
  await Promise.all(acks);
  await waitFor("steady answers", () => arrived() >= total, 60_000, 20);
  return achieved;
}

/**
 * Latencies at the same rate through the relay (bench/bare-relay.ts) in its own process, on its
 * own streams; `databaseUrl` makes it store each arrival batch durably before answering.
 */
async function relayLatencies(name: string, databaseUrl?: string): Promise<number[]> {
  const subject = `bench.${name}`;
  const stream = { ...STREAMS.signals, name: `BENCH_${name.toUpperCase()}`, subjects: [subject] };
  const doneStream = { ...STREAMS.signals, name: `${stream.name}_DONE`, subjects: [`${subject}.done`] };
  await bus.ensureStream(stream);
  await bus.ensureStream(doneStream);
  await bus.ensureConsumer(stream, name);
  const relay = new ServiceProcess({
    name,
    entry: new URL("./bare-relay.ts", import.meta.url).pathname,
    // Where `--import tsx` resolves from, whoever starts the bench.
    cwd: new URL("..", import.meta.url).pathname,
    env: {
      NATS_URL: ns.url,
      RELAY_STREAM: bus.ns.resource(stream.name),
      RELAY_DURABLE: bus.ns.resource(name),
      RELAY_DONE_SUBJECT: bus.ns.subject(`${subject}.done`),
      ...(databaseUrl === undefined ? {} : { RELAY_DATABASE_URL: databaseUrl }),
    },
  }).start();
  await waitFor(`${name} ready`, () => relay.find("relay ready").length > 0, 30_000, 20);
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const doneSub = bus.nc.subscribe(bus.ns.subject(`${subject}.done`), {
    callback: (_e, m) => {
      const t = sentAt[m.json<{ i: number }>().i];
      if (t !== undefined) latencies.push(performance.now() - t);
    },
  });
  await steadyRate(
    (i) => {
      sentAt[i] = performance.now();
      return bus.js.publish(bus.ns.subject(subject), JSON.stringify({ i }), { msgID: `${name}${i}` });
    },
    () => latencies.length,
  );
  doneSub.unsubscribe();
  if ((await relay.stop()) !== 0) throw new Error(`${name} failed:\n${relay.tail()}`);
  return latencies;
}

// Latency baselines: the same hops with no decision, without and with a durable commit in them.
const bareLatencies = await relayLatencies("relay");
const durableLatencies = await relayLatencies("durable", db.url);

const entry = new URL("../dist/main.js", import.meta.url).pathname;
if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
const engine = new ServiceProcess({
  name: "trade-engine",
  entry,
  env: {
    NATS_URL: ns.url,
    TRADEWIRE_NAMESPACE: ns.namespace,
    DATABASE_URL: db.url,
    // A fixed free port: at LOG_LEVEL=warn the engine does not log the port it would pick.
    HTTP_PORT: String(await freePort()),
    LOG_LEVEL: "warn",
    COOLDOWN_SECONDS: "0",
    MAX_NOTIONAL_PER_POSITION: "1e12",
    MAX_NOTIONAL_PER_SYMBOL: "1e12",
    MAX_PORTFOLIO_EXPOSURE: "1e12",
    DAILY_LOSS_LIMIT: "1e12",
  },
}).start();
await engine.waitReady(30_000);
const quote = () =>
  bus.publish(
    subjects.marketData("BTCUSDT", "bookTicker"),
    MarketData,
    bookTicker("BTCUSDT", "30000.00", "30000.01"),
  );
const ticker = setInterval(quote, 100);
quote();
const sentAt = new Map<string, number>();
const latencies: number[] = [];
const sub = bus.nc.subscribe(bus.ns.subject(subjects.orderEvent("filled")), {
  callback: (_e, m) => {
    // Read, not validated: the load generator does no more per message than the baselines' does
    // (the engine validates what it publishes, and its tests check the events).
    const t = sentAt.get(m.json<{ signal_id: string }>().signal_id);
    if (t !== undefined) latencies.push(performance.now() - t);
  },
});
const signal = (id: string, i: number) => ({
  signal_id: id,
  strategy_id: "bench",
  symbol: "BTCUSDT",
  action: i % 2 ? "sell" : "buy",
  confidence: 0.8,
  timestamp: Date.now(),
});

/**
 * Publishes one signal. Not validated here (`trusted`), as the baselines' messages are not: the
 * engine parses every signal at its boundary, and the load generator shares its two cores.
 */
const send = (id: string, i: number) =>
  bus.publishDurable(subjects.signal(), TradingSignal, signal(id, i), { msgId: id, trusted: true });

// Warm-up: a fill proves the engine has the quote and every statement is prepared.
for (let i = 0; latencies.length === 0; i++) {
  sentAt.set(`w${i}`, performance.now());
  await send(`w${i}`, 0);
  await new Promise((r) => setTimeout(r, 200));
}
latencies.length = 0;

/** Throughput: all N published with acks in flight, until every fill event arrived. */
async function engineLoop(run: string): Promise<number> {
  latencies.length = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: N }, (_, i) => {
      sentAt.set(`${run}-${i}`, performance.now());
      return send(`${run}-${i}`, i);
    }),
  );
  await waitFor("all filled", () => latencies.length >= N, 120_000, 20);
  return N / ((performance.now() - t1) / 1000);
}
// The bare loop alone moves by half from run to run on this machine: RUNS pairs, each bare loop
// right before the engine's, and the medians compared.
const pairs: { bare: number; engine: number }[] = [];
for (let r = 0; r < RUNS; r++)
  pairs.push({ bare: await bareLoop(`bare${r}`), engine: await engineLoop(`t${r}`) });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const rate = median(pairs.map((p) => p.engine));
const bareRate = median(pairs.map((p) => p.bare));
const ratios = pairs.map((p) => p.engine / p.bare);

// Latency at the steady rate.
latencies.length = 0;
const achieved = await steadyRate(
  (i) => {
    sentAt.set(`l${i}`, performance.now());
    return send(`l${i}`, i);
  },
  () => latencies.length,
);
sub.unsubscribe();
clearInterval(ticker);
await engine.stop();
await bus.drain();
await ns.cleanup();
await db.cleanup();
console.log(
  JSON.stringify({
    name: "trade-engine",
    results: [
      {
        metric: `signals/s, full paper pipeline, median of ${RUNS} runs each after a bare loop (target >= 0.2 of bare)`,
        value: Math.round(rate),
        unit: "signals/s",
        baseline: Math.round(bareRate),
        ratio: r3(rate / bareRate),
      },
      {
        metric: `lowest engine/bare ratio of the ${RUNS} pairs`,
        value: r3(Math.min(...ratios)),
        unit: "ratio",
      },
      {
        metric: `highest engine/bare ratio of the ${RUNS} pairs`,
        value: r3(Math.max(...ratios)),
        unit: "ratio",
      },
      { metric: "steady rate achieved", value: Math.round(achieved), unit: "signals/s" },
      {
        metric: `p50 publish -> orders.filled at ${RATE}/s (baseline: bare relay, same hops)`,
        value: r3(pct(latencies, 0.5)),
        unit: "ms",
        baseline: r3(pct(bareLatencies, 0.5)),
        ratio: r3(pct(latencies, 0.5) / pct(bareLatencies, 0.5)),
      },
      {
        metric: `p99 publish -> orders.filled at ${RATE}/s (target <= 5 ms; baseline: bare relay)`,
        value: r3(pct(latencies, 0.99)),
        unit: "ms",
        baseline: r3(pct(bareLatencies, 0.99)),
        ratio: r3(pct(latencies, 0.99) / pct(bareLatencies, 0.99)),
      },
      {
        metric: `p99 through the relay storing each arrival batch in PostgreSQL first, at ${RATE}/s (baseline: bare relay)`,
        value: r3(pct(durableLatencies, 0.99)),
        unit: "ms",
        baseline: r3(pct(bareLatencies, 0.99)),
        ratio: r3(pct(durableLatencies, 0.99) / pct(bareLatencies, 0.99)),
      },
    ],
  }),
);
process.exit(0);
