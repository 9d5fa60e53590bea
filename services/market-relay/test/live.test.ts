import { Bus, STREAMS } from "@tradewire/bus";
import { parseConfig } from "@tradewire/config";
import { captureLogger, createSilentLogger } from "@tradewire/logger";
import { MarketData } from "@tradewire/schemas";
import {
  type FakeBinanceWs,
  fillStream,
  natsNamespace,
  startFakeBinanceWs,
  TcpProxy,
  waitFor,
} from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startRelay } from "../src/app.js";
import { ConfigSchema } from "../src/config.js";

let ns: Awaited<ReturnType<typeof natsNamespace>>;
let fake: FakeBinanceWs;
let bus: Bus;
const stops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  ns = await natsNamespace("relaylive");
  fake = await startFakeBinanceWs({ intervalMs: 50, pingIntervalMs: 200 });
  bus = await Bus.connect({
    servers: ns.url,
    name: "observer",
    logger: createSilentLogger(),
    namespace: ns.namespace,
  });
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await bus.drain();
  await fake.close();
  await ns.cleanup();
});

/** What one symbol's four default streams publish on. */
const BTC_SUBJECTS = new Set([
  "md.binance.BTCUSDT.depth20",
  "md.binance.BTCUSDT.trade",
  "md.binance.BTCUSDT.kline.1m",
  "md.binance.BTCUSDT.bookTicker",
]);

/** Every market message on `subject` (namespaced), parsed by its schema. */
function observe(subject: string): { subject: string; data: MarketData }[] {
  const seen: { subject: string; data: MarketData }[] = [];
  bus.nc.subscribe(bus.ns.subject(subject), {
    callback: (_e, m) =>
      void seen.push({ subject: bus.ns.unprefix(m.subject), data: MarketData.parse(m.json()) }),
  });
  return seen;
}

async function relay(env: Record<string, string> = {}, name = "relay-a") {
  const cap = captureLogger("market-relay");
  const cfg = parseConfig("test", ConfigSchema, {
    NATS_URL: ns.url,
    TRADEWIRE_NAMESPACE: ns.namespace,
    MARKET_SOURCE: "live",
    BINANCE_WS_BASE: fake.url,
    SYMBOLS: "BTCUSDT,ETHUSDT",
    HTTP_PORT: "0",
    SUMMARY_INTERVAL_S: "1",
    LEASE_TTL_S: "1.5",
    RELAY_ID: name,
    ...env,
  });
  const handle = await startRelay(cfg, cap.logger, { handleSignals: false });
  stops.push(() => handle.stop("test"));
  return { ...handle, cap, port: handle.supervisor.httpPort };
}

const metrics = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const ready = async (port: number) => (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;

describe("market-relay live mode against the fake Binance WebSocket", () => {
  it("F41 normalizes every recorded payload kind onto its subject, symbol from the stream name", async () => {
    const btc = observe("md.binance.BTCUSDT.>");
    const trades = observe("md.binance.*.trade");
    await bus.nc.flush();
    const r = await relay({ MAX_STREAMS_PER_CONNECTION: "3" });
    await waitFor("every BTC stream", () => new Set(btc.map((m) => m.subject)).size === 4, 10_000);
    expect(new Set(btc.map((m) => m.subject))).toEqual(BTC_SUBJECTS);
    const depth = btc.find((m) => m.data.kind === "depth20")?.data;
    // The recorded partial depth carries no symbol: it must come from the stream name.
    expect(depth).toMatchObject({
      symbol: "BTCUSDT",
      venue: "binance",
      market: "spot",
    });
    // Twenty levels a side, best first, as the recorded frame has them.
    expect(depth?.kind === "depth20" && depth.bids.length).toBe(20);
    expect(depth?.kind === "depth20" && depth.bids[0]).toEqual(["1782.00000000", "6.48300000"]);
    expect(btc.find((m) => m.data.kind === "kline")?.data).toMatchObject({ interval: "1m", isClosed: false });
    await waitFor("trades of both symbols", () => new Set(trades.map((m) => m.data.symbol)).size === 2);
    // 8 streams at 3 per connection: 3 connections, each a combined stream.
    expect(fake.connections.length).toBe(3);
    expect(fake.connections.flatMap((c) => c.streams).sort()).toContain("btcusdt@depth20@100ms");
    await waitFor("ready", () => ready(r.port));
    await waitFor("pongs answered", () => fake.pongs() > 0);
    await waitFor("summary with lag", () =>
      r.cap.find("market data summary").some((l) => l.lagMs !== undefined),
    ); // Counted on the hot path in plain fields, handed to prom-client when scraped.
    const scraped = await metrics(r.port);
    expect(scraped).toMatch(/tradewire_md_messages_total\{stream="trade"[^}]*\} [1-9]/);
    expect(scraped).toMatch(/tradewire_md_received_bytes_total\{stream="trade"[^}]*\} [1-9]/);
  });

  it("futures: book streams connect to /public and the rest to /market, so every stream delivers", async () => {
    const futures = await startFakeBinanceWs({ intervalMs: 50, pingIntervalMs: 200, routes: "futures" });
    stops.push(() => futures.close());
    const btc = observe("md.binance.BTCUSDT.>");
    await bus.nc.flush();
    await relay({
      BINANCE_MARKET: "futures",
      BINANCE_WS_BASE: futures.url,
      SYMBOLS: "BTCUSDT",
      STREAMS: "depth20@100ms,aggTrade,kline_1m,bookTicker",
    });
    // On the bare root, as before, the aggTrade and kline streams would never deliver.
    await waitFor("every stream", () => new Set(btc.map((m) => m.subject)).size === 4, 10_000);
    expect(new Set(btc.map((m) => m.subject))).toEqual(BTC_SUBJECTS);
    expect(btc.every((m) => m.data.market === "futures")).toBe(true);
    expect(futures.connections.map((c) => [c.route, [...c.streams].sort()]).sort()).toEqual([
      ["/market", ["btcusdt@aggTrade", "btcusdt@kline_1m"]],
      ["/public", ["btcusdt@bookTicker", "btcusdt@depth20@100ms"]],
    ]);
  });

  it("reconnects after an abrupt drop, logs it, and goes back to publishing", async () => {
    const btc = observe("md.binance.BTCUSDT.trade");
    await bus.nc.flush();
    const r = await relay();
    await waitFor("first trades", () => btc.length > 0, 10_000);
    fake.drop();
    const before = btc.length;
    await waitFor(
      "reconnect logged",
      () => r.cap.find("exchange connection dropped; reconnecting").length > 0,
      5_000,
    );
    await waitFor("publishing again", () => btc.length > before + 5, 10_000);
    expect(fake.connections.length).toBe(2);
    const scraped = await metrics(r.port);
    expect(scraped).toMatch(/tradewire_md_reconnects_total\{shard="0",reason="closed"[^}]*\} 1/);
    await waitFor("ready again", () => ready(r.port));
  });

  it("F04 a connect the exchange accepts but never answers fails within CONNECT_TIMEOUT_MS, said at warn, and is retried until one opens", async () => {
    // Accepted on TCP, then nothing: no handshake answer, no close (a load balancer whose backend hangs).
    const proxy = await TcpProxy.start(Number(new URL(fake.url).port));
    stops.push(() => proxy.close());
    proxy.freeze();
    const btc = observe("md.binance.BTCUSDT.trade");
    await bus.nc.flush();
    const r = await relay({
      BINANCE_WS_BASE: proxy.route(fake.url),
      CONNECT_TIMEOUT_MS: "300",
      SYMBOLS: "BTCUSDT",
    });
    const started = Date.now();
    const failed = await waitFor(
      "connect failed",
      () => r.cap.find("exchange connect failed; retrying")[0],
      5_000,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(failed).toMatchObject({ level: "warn", attempt: 1 });
    expect(JSON.stringify(failed.err)).toContain("timed out after 300 ms");
    await waitFor("retried", () => r.cap.find("exchange connect failed; retrying").length >= 2, 5_000);
    expect(await ready(r.port)).toBe(false);
    proxy.thaw();
    await waitFor("trades published", () => btc.length > 0, 10_000);
    expect(r.cap.find("exchange connection open")[0]).toMatchObject({ level: "info" });
    await waitFor("ready", () => ready(r.port));
    // Each failed connect was progress: the shard was never called stalled and restarted.
    expect(r.cap.find("task stalled")).toEqual([]);
  });

  it("F39 recycles a connection whose stream went silent without a close, new socket before old closes", async () => {
    const trades = observe("md.binance.ETHUSDT.trade");
    await bus.nc.flush();
    const r = await relay({ STALE_STREAM_S: "1" });
    await waitFor("first trades", () => trades.length > 0, 10_000);
    fake.silence("ethusdt@trade");
    await waitFor(
      "silence detected",
      () => r.cap.find("stream silent; recycling its connection").length > 0,
      5_000,
    );
    expect(r.cap.find("stream silent; recycling its connection")[0]).toMatchObject({
      level: "warn",
      staleStreams: ["ethusdt@trade"],
    });
    await waitFor("recycled", () => r.cap.find("exchange connection recycled").length > 0, 5_000);
    const [first, second] = fake.connections;
    expect(second?.openedAt).toBeLessThanOrEqual(first?.closedAt ?? Number.POSITIVE_INFINITY);
    fake.silence("ethusdt@trade", false);
    const before = trades.length;
    await waitFor("trades flow on the new connection", () => trades.length > before, 5_000);
  });

  it("F41 a stream that never delivers while the others on its connection do (a symbol not listed there) is said at error once, and its connection is not recycled for it", async () => {
    // ETHUSDT's trades never come: Binance sends nothing for a stream it does not serve.
    fake.silence("ethusdt@trade");
    const btc = observe("md.binance.BTCUSDT.trade");
    await bus.nc.flush();
    const r = await relay({ STALE_STREAM_S: "1" });
    const said = () =>
      r.cap.find(
        "streams that never delivered while the others on their connection do: is the symbol listed on this market?",
      );
    await waitFor("said", () => said().length > 0, 5_000);
    expect(said()[0]).toMatchObject({ level: "error", streams: ["ethusdt@trade"] });
    const before = btc.length;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(btc.length).toBeGreaterThan(before);
    expect(said()).toHaveLength(1);
    expect(r.cap.find("stream silent; recycling its connection")).toEqual([]);
    expect(fake.connections).toHaveLength(1);
  });

  it("handles serverShutdown by opening the new connection before closing the old", async () => {
    const r = await relay();
    await waitFor("connected", () => ready(r.port), 10_000);
    fake.serverShutdown();
    await waitFor(
      "rolled over",
      () => fake.connections.length === 2 && fake.connections[0]?.closedAt !== undefined,
      5_000,
    );
    const [old, fresh] = fake.connections;
    expect(fresh?.openedAt).toBeLessThanOrEqual(old?.closedAt ?? 0);
    expect(r.cap.find("exchange connection recycled")[0]).toMatchObject({ reason: "server_shutdown" });
  });

  it("F43 a rollover whose new connection hangs backs off between attempts while the old one serves, and counts no reconnect until one opens", async () => {
    const proxy = await TcpProxy.start(Number(new URL(fake.url).port));
    stops.push(() => proxy.close());
    const btc = observe("md.binance.BTCUSDT.trade");
    await bus.nc.flush();
    const r = await relay({
      BINANCE_WS_BASE: proxy.route(fake.url),
      CONNECT_TIMEOUT_MS: "200",
      SYMBOLS: "BTCUSDT",
    });
    await waitFor("connected", () => ready(r.port), 10_000);
    const reconnects = async () =>
      (await metrics(r.port)).match(
        /tradewire_md_reconnects_total\{shard="0",reason="server_shutdown"[^}]*\} (\d+)/,
      )?.[1];
    // Binance asks for a new connection, and none opens: the old one keeps serving meanwhile.
    proxy.holdNew();
    fake.serverShutdown();
    const failed = () => r.cap.find("exchange connect failed; retrying");
    await waitFor("three failed replacements", () => failed().length >= 3, 10_000);
    // Backing off (attempt 1, 2, 3: 250-500 ms, 500-1000, 1-2 s), not at once every time.
    expect(
      failed()
        .slice(0, 3)
        .map((l) => l.attempt),
    ).toEqual([1, 2, 3]);
    const before = btc.length;
    await waitFor("still publishing on the old connection", () => btc.length > before + 3, 5_000);
    expect(await reconnects()).toBeUndefined();
    proxy.thaw();
    await waitFor("recycled", () => r.cap.find("exchange connection recycled").length > 0, 10_000);
    expect(await reconnects()).toBe("1");
  });

  it("dead-letters and counts a frame it cannot normalize, and keeps going", async () => {
    const dead: string[] = [];
    bus.nc.subscribe(bus.ns.subject("deadletter.market-relay"), {
      callback: (_e, m) => void dead.push(m.string()),
    });
    await bus.nc.flush();
    const r = await relay();
    await waitFor("connected", () => ready(r.port), 10_000);
    fake.broadcastRaw(JSON.stringify({ stream: "btcusdt@trade", data: { e: "trade", s: "BTCUSDT" } }));
    fake.broadcastRaw("not json");
    await waitFor("two dead letters", () => dead.length >= 2, 5_000);
    expect(JSON.parse(dead[0] ?? "{}")).toMatchObject({
      subject: "btcusdt@trade",
      reason: expect.stringContaining("invalid MarketData"),
    });
    const scraped = await metrics(r.port);
    expect(scraped).toMatch(/tradewire_md_parse_failures_total\{stream="btcusdt@trade"[^}]*\} 1/);
    expect(await ready(r.port)).toBe(true);
  });

  it("F01 a frame rejected after the dead-letter stream was deleted on the server is still stored: the stream is declared again, said at warn", async () => {
    const r = await relay();
    await waitFor("connected", () => ready(r.port), 10_000);
    const deadLetters = bus.ns.resource(STREAMS.deadLetters.name);
    await bus.jsm.streams.delete(deadLetters);
    fake.broadcastRaw("not json");
    await waitFor(
      "the dead letter stored",
      async () => (await bus.jsm.streams.info(deadLetters).catch(() => undefined))?.state.messages === 1,
      5_000,
    );
    const kept = await bus.jsm.streams.getMessage(deadLetters, { seq: 1 });
    expect(kept?.subject).toBe(bus.ns.subject("deadletter.market-relay"));
    expect(kept?.json()).toMatchObject({ stream: "market-relay", subject: "unknown", payload: "not json" });
    expect(r.cap.find("jetstream stream gone from the server: declared again")[0]).toMatchObject({
      level: "warn",
      stream: deadLetters,
    });
    const { tasks } = await r.supervisor.readiness();
    expect(tasks.find((t) => t.name === "dead-letters")?.counters).toEqual({ deadLettered: 1 });
  });

  it("a dead letter JetStream refuses (the stream out of storage) is kept and stored once it takes it again, said at error", async () => {
    const r = await relay();
    await waitFor("connected", () => ready(r.port), 10_000);
    const deadLetters = bus.ns.resource(STREAMS.deadLetters.name);
    const lift = await fillStream(bus.jsm, deadLetters);
    fake.broadcastRaw("not json");
    await waitFor(
      "refused",
      () => r.cap.find("dead letter not stored; kept and tried again").length > 0,
      5_000,
    );
    expect(r.cap.find("dead letter not stored; kept and tried again")[0]).toMatchObject({
      level: "error",
      queued: 1,
      err: expect.objectContaining({ message: expect.stringContaining("deadletter.market-relay") }),
    });
    await lift();
    await waitFor(
      "stored once taken again",
      async () => (await bus.jsm.streams.info(deadLetters)).state.messages === 1,
      10_000,
    );
    expect((await bus.jsm.streams.getMessage(deadLetters, { seq: 1 }))?.json()).toMatchObject({
      payload: "not json",
    });
  });

  it("F16 with two replicas only the leader publishes; the standby takes over when it stops", async () => {
    const trades = observe("md.binance.BTCUSDT.trade");
    await bus.nc.flush();
    const a = await relay({}, "relay-a");
    await waitFor("a leads", () => a.isLeader(), 5_000);
    const b = await relay({}, "relay-b");
    await waitFor("b connected", () => ready(b.port), 10_000);
    // Both hold exchange connections; only one publishes, so no trade id is seen twice.
    trades.length = 0;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(b.isLeader()).toBe(false);
    const ids = trades.map((m) => (m.data.kind === "trade" ? m.data.tradeId : -1));
    expect(ids.length).toBeGreaterThan(5);
    expect(new Set(ids).size).toBe(ids.length);
    await a.stop("failover drill");
    const stoppedAt = Date.now();
    await waitFor("b takes over", () => b.isLeader(), 5_000);
    const before = trades.length;
    await waitFor("b publishes", () => trades.length > before + 5, 5_000);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
  });
});
