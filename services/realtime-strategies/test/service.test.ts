import { Bus, STREAMS } from "@tradewire/bus";
import { parseConfig } from "@tradewire/config";
import { migrate, writeKlines } from "@tradewire/kline-extractor/storage";
import { captureLogger, createSilentLogger } from "@tradewire/logger";
import { ExtractionCompleted, MarketData, subjects, TradingSignal } from "@tradewire/schemas";
import { natsNamespace, pgSchema, TcpProxy, waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startStrategies } from "../src/app.js";
import { ConfigSchema } from "../src/config.js";
import { STRATEGY_NAMES } from "../src/strategies/names.js";

let nats: Awaited<ReturnType<typeof natsNamespace>>;
let db: Awaited<ReturnType<typeof pgSchema>>;
let bus: Bus;
const stops: (() => Promise<void>)[] = [];
beforeEach(async () => {
  nats = await natsNamespace("strat");
  db = await pgSchema("strat");
  bus = await Bus.connect({
    servers: nats.url,
    name: "driver",
    logger: createSilentLogger(),
    namespace: nats.namespace,
  });
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await bus.drain();
  await nats.cleanup();
  await db.cleanup();
});

async function start(extra: Record<string, string>) {
  const cap = captureLogger("realtime-strategies");
  const cfg = parseConfig("test", ConfigSchema, {
    NATS_URL: nats.url,
    TRADEWIRE_NAMESPACE: nats.namespace,
    DATABASE_URL: db.url,
    HTTP_PORT: "0",
    SYMBOLS: "BTCUSDT",
    ...extra,
  });
  const svc = await startStrategies(cfg, cap.logger, { handleSignals: false });
  stops.push(() => svc.stop("test"));
  return { svc, cap };
}

const onlyStrategies = (...enabled: string[]) =>
  Object.fromEntries(
    STRATEGY_NAMES.map((n) => [`STRATEGY_ENABLED_${n.toUpperCase()}`, String(enabled.includes(n))]),
  );

async function storedSignals(): Promise<{ msgId: string | undefined; signal: TradingSignal }[]> {
  const name = `${nats.namespace}_${STREAMS.signals.name}`;
  const info = await bus.jsm.streams.info(name);
  const out: { msgId: string | undefined; signal: TradingSignal }[] = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    const m = await bus.jsm.streams.getMessage(name, { seq });
    if (m)
      out.push({ msgId: m.header.get("Nats-Msg-Id") || undefined, signal: TradingSignal.parse(m.json()) });
  }
  return out;
}

const start0 = Date.UTC(2026, 0, 1);
const minute = (i: number) => start0 + i * 60_000;
const price = (i: number) => (30000 + i).toFixed(2);

/** The candle of minute `i`, as the extractor stores it and the relay publishes it closed. */
const candleOf = (i: number) => ({
  openTime: minute(i),
  closeTime: minute(i) + 59_999,
  open: price(i),
  high: price(i),
  low: price(i),
  close: price(i),
  volume: "1",
  quoteVolume: "1",
  trades: 1,
  takerBuyBaseVolume: "0",
  takerBuyQuoteVolume: "0",
});

/** Stores `n` closed 1m klines of BTCUSDT from minute `from`, as the extractor does. */
async function storeKlines(from: number, n: number): Promise<void> {
  const rows = Array.from({ length: n }, (_, k) => candleOf(from + k));
  await writeKlines(db.pool, { market: "spot", symbol: "BTCUSDT", interval: "1m" }, rows);
}

/** The closed live 1m kline of minute `i`. */
const liveKline = (i: number): MarketData => ({
  venue: "binance",
  market: "spot",
  kind: "kline",
  symbol: "BTCUSDT",
  eventTime: Date.now(),
  receiveTime: Date.now(),
  interval: "1m",
  ...candleOf(i),
  isClosed: true,
});

/** Which symbols each strategy is warm on, as /ready details them. */
async function warm(svc: Awaited<ReturnType<typeof start>>["svc"]): Promise<Record<string, string[]>> {
  const res = await fetch(`http://127.0.0.1:${svc.supervisor.httpPort}/ready`);
  return ((await res.json()) as { details: { warm: Record<string, string[]> } }).details.warm;
}

describe("realtime-strategies service", () => {
  it("turns market data on NATS into a signal on JetStream, logging its whole lifecycle", async () => {
    const { cap } = await start({ WARMUP_ENABLED: "false", ...onlyStrategies("orderbook_skew") });
    const depth: MarketData = {
      venue: "binance",
      market: "spot",
      kind: "depth20",
      symbol: "BTCUSDT",
      eventTime: Date.now(),
      receiveTime: Date.now(),
      lastUpdateId: 1,
      bids: [
        ["30000.00", "9.0"],
        ["29999.99", "9.0"],
      ],
      asks: [
        ["30000.01", "1.0"],
        ["30000.02", "1.0"],
      ],
    };
    await waitFor(
      "signal stored",
      async () => {
        bus.publish(subjects.marketData("BTCUSDT", "depth20"), MarketData, {
          ...depth,
          eventTime: Date.now(),
        });
        return (await storedSignals()).length > 0;
      },
      10_000,
      200,
    );
    const [stored] = await storedSignals();
    expect(stored?.signal).toMatchObject({
      strategy_id: "orderbook_skew",
      symbol: "BTCUSDT",
      action: "buy",
      source: "tradewire-realtime-strategies",
    });
    expect(stored?.msgId).toBe(stored?.signal.signal_id);
    const stages = cap
      .lines()
      .filter((l) => l.signalId === stored?.signal.signal_id)
      .map((l) => l.stage);
    expect(stages).toEqual(["GENERATED", "VALIDATED", "QUEUED", "FORWARDED"]);
  });

  it("F40 starts warm from the klines table the extractor writes", async () => {
    await migrate(db.pool);
    await storeKlines(0, 120);
    const { svc, cap } = await start({
      ...onlyStrategies("ema_pullback_continuation", "momentum_pulse", "multi_timeframe_trend"),
    });
    expect(cap.find("warm-up loaded")[0]).toMatchObject({ candles: { BTCUSDT: 120 } });
    expect(await warm(svc)).toEqual({
      ema_pullback_continuation: ["BTCUSDT"],
      momentum_pulse: ["BTCUSDT"],
      multi_timeframe_trend: [],
    });
  });

  it("F40 a hole in the live 1m candles restarts the candle indicators, said at warn and counted; they are rebuilt from the klines table once it holds the hole", async () => {
    await migrate(db.pool);
    await storeKlines(0, 120);
    const { svc, cap } = await start({
      ...onlyStrategies("ema_pullback_continuation"),
      SERIES_REPAIR_RETRY_S: "1",
    });
    expect(await warm(svc)).toEqual({ ema_pullback_continuation: ["BTCUSDT"] });
    // The feed was out for ten minutes: the next closed candle opens at minute 130, not 120.
    bus.publish(subjects.marketData("BTCUSDT", "kline", "1m"), MarketData, liveKline(130));
    const hole = await waitFor(
      "hole said",
      () => cap.find("1m candles missing: candle indicators start afresh after the hole")[0],
    );
    expect(hole).toMatchObject({
      level: "warn",
      symbol: "BTCUSDT",
      missing: 10,
      after: new Date(minute(119)).toISOString(),
      resumed: new Date(minute(130)).toISOString(),
    });
    expect(await warm(svc)).toEqual({ ema_pullback_continuation: [] });
    const metrics = await (await fetch(`http://127.0.0.1:${svc.supervisor.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/tradewire_strategy_candles_missing_total\{symbol="BTCUSDT"[^}]*\} 10\n/);
    await waitFor(
      "repair waits for the table",
      () =>
        cap.find("1m series repair: the stored klines do not reach the hole yet; trying again").length > 0,
    );
    // The extractor fills the table: the next attempt rebuilds on it.
    await storeKlines(120, 10);
    const whole = await waitFor(
      "whole again",
      () => cap.find("1m series whole again: candle indicators rebuilt from the stored klines")[0],
    );
    expect(whole).toMatchObject({ symbol: "BTCUSDT", stored: 130, candles: 131 });
    expect(await warm(svc)).toEqual({ ema_pullback_continuation: ["BTCUSDT"] });
  });

  it("F40 kline-extractor's extraction-completed event for the symbol's 1m klines wakes the repair at once, not at its next retry", async () => {
    await migrate(db.pool);
    await storeKlines(0, 120);
    const { cap } = await start({
      ...onlyStrategies("ema_pullback_continuation"),
      SERIES_REPAIR_RETRY_S: "3600",
    });
    bus.publish(subjects.marketData("BTCUSDT", "kline", "1m"), MarketData, liveKline(130));
    await waitFor(
      "repair waits for the table",
      () =>
        cap.find("1m series repair: the stored klines do not reach the hole yet; trying again").length > 0,
    );
    await storeKlines(120, 10);
    // Core NATS keeps nothing for a subscription not there yet: its events go out once it is.
    await waitFor("subscribed to the extraction events", () =>
      cap.find("subscribed").some((l) => String(l.subject).startsWith("binance.extraction")),
    );
    const completed = (symbol: string, written: number) => ({
      event_type: "extraction_completed" as const,
      extraction_type: "klines" as const,
      symbol,
      period: "1m" as const,
      timestamp: new Date().toISOString(),
      success: true,
      metrics: {
        records_fetched: written,
        records_written: written,
        duration_seconds: 0.1,
        gaps_found: 0,
        gaps_filled: 0,
      },
      errors: [],
    });
    // Another symbol's, and one that wrote nothing, wake nothing.
    for (const [symbol, written] of [
      ["ETHUSDT", 10],
      ["BTCUSDT", 0],
    ] as const)
      bus.publish(
        subjects.extraction("klines", symbol, "1m"),
        ExtractionCompleted,
        completed(symbol, written),
      );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(cap.find("1m series whole again: candle indicators rebuilt from the stored klines")).toEqual([]);
    const rebuilt = () =>
      cap.find("1m series whole again: candle indicators rebuilt from the stored klines")[0];
    // Again every half second until it is taken (the subscription's server side may lag its log
    // line under load); the repair's own retry is an hour away, so only an event can wake it.
    const whole = await waitFor(
      "whole again",
      () => {
        if (rebuilt() === undefined)
          bus.publish(
            subjects.extraction("klines", "BTCUSDT", "1m"),
            ExtractionCompleted,
            completed("BTCUSDT", 10),
          );
        return rebuilt();
      },
      5_000,
      500,
    );
    expect(whole).toMatchObject({ symbol: "BTCUSDT", stored: 130, candles: 131 });
  });

  it("F40 a repair that cannot read the klines table says so once, not at every retry, and rebuilds once it can", async () => {
    const { cap } = await start({
      ...onlyStrategies("ema_pullback_continuation"),
      SERIES_REPAIR_RETRY_S: "1",
    });
    bus.publish(subjects.marketData("BTCUSDT", "kline", "1m"), MarketData, liveKline(0));
    bus.publish(subjects.marketData("BTCUSDT", "kline", "1m"), MarketData, liveKline(5));
    const UNREADABLE = "1m series repair: cannot read the stored klines; trying again";
    const said = await waitFor("unreadable said", () => cap.find(UNREADABLE)[0]);
    expect(said).toMatchObject({ level: "warn", symbol: "BTCUSDT", retryMs: 1_000 });
    expect(said.err).toMatchObject({ code: "42P01", message: 'relation "klines" does not exist' });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(cap.find(UNREADABLE)).toHaveLength(1);
    await migrate(db.pool);
    await storeKlines(0, 5);
    const whole = await waitFor(
      "whole again",
      () => cap.find("1m series whole again: candle indicators rebuilt from the stored klines")[0],
    );
    expect(whole).toMatchObject({ symbol: "BTCUSDT", stored: 5, candles: 6 });
  });

  it("F05 a warm-up read the database does not answer fails the start within WARMUP_TIMEOUT_S, naming it, instead of hanging it", async () => {
    const proxy = await TcpProxy.start(Number(new URL(db.url).port || 5432));
    try {
      proxy.freeze();
      const startedAt = Date.now();
      const failed = await start({ DATABASE_URL: proxy.route(db.url), WARMUP_TIMEOUT_S: "1" }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(Error);
      expect(String((failed as Error).message)).toBe(
        "warm-up: cannot read the last 6000 1m klines of BTCUSDT from PostgreSQL",
      );
      expect(Date.now() - startedAt).toBeLessThan(5_000);
    } finally {
      await proxy.close();
    }
  });

  it("F41 a shard the symbols' hashes leave empty says so at warn at start, with every shard's symbols", async () => {
    const { cap } = await start({ SYMBOLS: "BTCUSDT,ETHUSDT", SHARD_COUNT: "2", SHARD_INDEX: "1" });
    expect(cap.find("this shard owns no symbol: it evaluates nothing")[0]).toMatchObject({
      level: "warn",
      shard: "1/2",
      shards: { 0: ["BTCUSDT", "ETHUSDT"], 1: [] },
    });
  });

  it("logs at warn when the klines table is missing and stays unwarmed", async () => {
    const { cap } = await start({ ...onlyStrategies("ema_pullback_continuation") });
    expect(
      cap.find("warm-up unavailable: no klines table; strategies warm up from live candles")[0]?.level,
    ).toBe("warn");
  });
});

describe("legacy socket envelope input", () => {
  it("normalizes raw Binance events from the envelope subject and signals on them", async () => {
    await start({ WARMUP_ENABLED: "false", ...onlyStrategies("orderbook_skew") });
    const envelope = {
      stream: "btcusdt@depth20@100ms",
      data: {
        lastUpdateId: 1,
        bids: [
          ["30000.00", "9.0"],
          ["29999.99", "9.0"],
        ],
        asks: [
          ["30000.01", "1.0"],
          ["30000.02", "1.0"],
        ],
      },
      timestamp: new Date().toISOString(),
      message_id: "m-1",
      source: "socket-client",
      version: "1.0",
    };
    await waitFor(
      "signal from the envelope",
      async () => {
        bus.nc.publish(`${nats.namespace}.binance.websocket.data`, JSON.stringify(envelope));
        return (await storedSignals()).length > 0;
      },
      10_000,
      200,
    );
    expect((await storedSignals())[0]?.signal).toMatchObject({
      strategy_id: "orderbook_skew",
      symbol: "BTCUSDT",
      action: "buy",
    });
  });
});
