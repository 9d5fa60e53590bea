// Relay hot path: messages/s decoded, normalized, validated and published (one core), next to raw
// JSON.parse + raw NATS publish of the same frames in the same run; then the live relay against the
// fake Binance WebSocket: exchange send -> NATS delivery latency, next to the bare WebSocket
// receive latency of the same fake. Prints one JSON object.
import { normalizeStreamEvent } from "@tradewire/binance";
import { Bus } from "@tradewire/bus";
import { parseConfig } from "@tradewire/config";
import { createLogger, createSilentLogger } from "@tradewire/logger";
import {
  discardStream,
  natsNamespace,
  percentile as pct,
  round3 as r3,
  startFakeBinanceWs,
  waitFor,
} from "@tradewire/testkit";
import { Registry } from "prom-client";
import WebSocket from "ws";
import { startRelay } from "../src/app.js";
import { ConfigSchema } from "../src/config.js";
import { decodeFrame } from "../src/live/frame.js";
import { MarketPublisher } from "../src/publisher.js";

const FRAMES = Number(process.env.BENCH_FRAMES ?? 20_000);
const ROUNDS = 5;
const STREAMS =
  "btcusdt@depth20@100ms/btcusdt@trade/btcusdt@kline_1m/btcusdt@bookTicker/ethusdt@depth20@100ms/ethusdt@trade/ethusdt@kline_1m/ethusdt@bookTicker";

const fake = await startFakeBinanceWs({ intervalMs: 1 });
/** Frames exactly as the fake sends them (recorded payloads, re-stamped). */
async function recordFrames(n: number): Promise<string[]> {
  const frames: string[] = [];
  const ws = new WebSocket(`${fake.url}/stream?streams=${STREAMS}`);
  await new Promise<void>((resolve) => {
    ws.on("message", (raw) => {
      if (frames.push(raw.toString()) === n) resolve();
    });
  });
  ws.terminate();
  return frames;
}
const frames = await recordFrames(FRAMES);

const ns = await natsNamespace("relaybench");
const bus = await Bus.connect({
  servers: ns.url,
  name: "bench",
  logger: createSilentLogger(),
  namespace: ns.namespace,
});
const encoder = new TextEncoder();

function rate(fn: (frame: string) => void): number {
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now();
    for (const frame of frames) fn(frame);
    best = Math.max(best, frames.length / ((performance.now() - t0) / 1000));
  }
  return best;
}

const baseline = rate((frame) => {
  const { stream } = JSON.parse(frame) as { stream: string };
  bus.nc.publish(`bench.raw.${stream.replace(/@/g, "_")}`, encoder.encode(frame));
});
await bus.nc.flush();
const publisher = new MarketPublisher(bus, new Registry());
let rejected = 0;
const relayed = rate((frame) => {
  const decoded = decodeFrame(frame);
  if (decoded.kind !== "event") return;
  const result = normalizeStreamEvent(decoded.stream, decoded.data, Date.now());
  if (result.ok) publisher.publish(result.value, frame.length);
  else rejected++;
});
await bus.nc.flush();
if (rejected > 0)
  throw new Error(`${rejected} recorded frames were rejected: the benchmark would flatter the relay`);

// Latency: fake send (trade event time E) -> delivered on NATS, vs -> received by a bare ws client.
async function bareWsLatency(n: number): Promise<number[]> {
  const lat: number[] = [];
  const ws = new WebSocket(`${fake.url}/stream?streams=btcusdt@trade`);
  await new Promise<void>((resolve) => {
    ws.on("message", (raw) => {
      const now = Date.now();
      const { data } = JSON.parse(raw.toString()) as { data: { E: number } };
      if (lat.push(now - data.E) === n) resolve();
    });
  });
  ws.terminate();
  return lat;
}
const latencyFake = await startFakeBinanceWs({ intervalMs: 5 });
const SAMPLES = 2_000;
const bareLat = await bareWsLatency(SAMPLES);
const relayLat: number[] = [];
const sub = bus.nc.subscribe(bus.ns.subject("md.binance.BTCUSDT.trade"), {
  callback: (_e, m) => {
    relayLat.push(Date.now() - (m.json() as { eventTime: number }).eventTime);
  },
});
const relay = await startRelay(
  parseConfig("bench", ConfigSchema, {
    NATS_URL: ns.url,
    TRADEWIRE_NAMESPACE: ns.namespace,
    MARKET_SOURCE: "live",
    BINANCE_WS_BASE: latencyFake.url,
    HTTP_PORT: "0",
  }),
  createLogger({
    service: "bench",
    format: "json",
    level: "warn",
    stream: discardStream(),
  }),
  { handleSignals: false },
);
await waitFor("relay latency samples", () => relayLat.length >= SAMPLES, 60_000, 50);
sub.unsubscribe();
await relay.stop("bench");
await bus.drain();
await fake.close();
await latencyFake.close();
await ns.cleanup();

console.log(
  JSON.stringify({
    name: "market-relay",
    results: [
      {
        metric: "frames/s decoded, normalized, validated, published (target >= 0.5 of raw parse + publish)",
        value: Math.round(relayed),
        unit: "msg/s",
        baseline: Math.round(baseline),
        ratio: r3(relayed / baseline),
      },
      {
        metric: "p99 exchange send -> NATS delivery, 1,600 msg/s (baseline: bare ws receive)",
        value: pct(relayLat, 0.99),
        unit: "ms",
        baseline: pct(bareLat, 0.99),
      },
      {
        metric: "p50 exchange send -> NATS delivery",
        value: pct(relayLat, 0.5),
        unit: "ms",
        baseline: pct(bareLat, 0.5),
      },
    ],
  }),
);
process.exit(0);
