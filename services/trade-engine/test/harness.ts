import { Bus, type DeadLetterRecord, STREAMS } from "@tradewire/bus";
import { parseConfig } from "@tradewire/config";
import { captureLogger, createSilentLogger } from "@tradewire/logger";
import { MarketData, OrderEvent, subjects, TradingSignal, type TradingSignalInput } from "@tradewire/schemas";
import {
  type FakeBinanceRest,
  metricValue,
  natsNamespace,
  pgSchema,
  startFakeBinanceRest,
  waitFor,
} from "@tradewire/testkit";
import { afterEach, beforeEach } from "vitest";
import { startEngine } from "../src/app.js";
import { ConfigSchema } from "../src/config.js";

/** The /metrics an engine serves at `url`, read once: a sample by name and labels (see metricValue). */
export async function metricsAt(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return (name: string, labels?: Record<string, string>) => metricValue(text, name, labels);
}

/** One sample of the /metrics an engine serves at `url`; undefined when absent. */
export async function metricAt(url: string, name: string, labels?: Record<string, string>) {
  return (await metricsAt(url))(name, labels);
}

export const TEST_API_KEY = "test-api-key";
export const TEST_API_SECRET = "test-api-secret";

/**
 * The fake Binance, spot and (unless `futures: false`) USD-M futures, signing with the test key;
 * `buyCommissionIn` says what spot BUYs pay their commission in (the quote asset by default).
 */
export function fakeBinance(
  price: (symbol: string) => string | undefined,
  {
    futures = true,
    buyCommissionIn,
    lookupLagMs,
  }: { futures?: boolean; buyCommissionIn?: "quote" | "base" | "BNB"; lookupLagMs?: number } = {},
) {
  const venue = { apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, price };
  return startFakeBinanceRest({
    series: {},
    exchange: {
      ...venue,
      ...(buyCommissionIn === undefined ? {} : { buyCommissionIn }),
      ...(lookupLagMs === undefined ? {} : { lookupLagMs }),
    },
    ...(futures ? { futures: venue } : {}),
  });
}

/**
 * Engine settings for testnet orders against the fake at `url`, its user data stream included (the
 * fake serves the spot WebSocket API and the USD-M private route on the same port).
 */
export function testnetSettings(url: string, extra: Record<string, string> = {}): Record<string, string> {
  const ws = url.replace(/^http/, "ws");
  return {
    TRADING_MODE: "testnet",
    BINANCE_HTTP_BASE: url,
    BINANCE_USER_STREAM_URL: extra.BINANCE_MARKET === "futures" ? `${ws}/private/ws` : `${ws}/ws-api/v3`,
    BINANCE_API_KEY: TEST_API_KEY,
    BINANCE_API_SECRET: TEST_API_SECRET,
    BINANCE_TIMEOUT_MS: "2000",
    ...extra,
  };
}

/** Streams, a database schema and a driver bus for one test, on the shared NATS or `natsUrl`. */
export async function environment(natsUrl?: string) {
  const nats = await natsNamespace("eng", natsUrl);
  const db = await pgSchema("eng");
  const bus = await Bus.connect({
    servers: nats.url,
    name: "driver",
    logger: createSilentLogger(),
    namespace: nats.namespace,
  });
  for (const s of [STREAMS.signals, STREAMS.intents, STREAMS.orders]) await bus.ensureStream(s);
  const engines: Awaited<ReturnType<typeof startEngine>>[] = [];
  let ticker: NodeJS.Timeout | undefined;
  /** Every message a stream of this namespace holds, as JSON, oldest first. */
  const streamMessages = async (stream: string): Promise<unknown[]> => {
    const name = `${nats.namespace}_${stream}`;
    const info = await bus.jsm.streams.info(name);
    const out: unknown[] = [];
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(name, { seq });
      if (m) out.push(m.json());
    }
    return out;
  };

  return {
    nats,
    db,
    bus,
    async start(extra: Record<string, string> = {}) {
      const cap = captureLogger("trade-engine");
      const cfg = parseConfig("test", ConfigSchema, {
        NATS_URL: nats.url,
        TRADEWIRE_NAMESPACE: nats.namespace,
        DATABASE_URL: db.url,
        HTTP_PORT: "0",
        COOLDOWN_SECONDS: "0",
        // Most tests quote after the start and time what follows; the warm-up has tests of its own.
        PRICE_WARMUP_MS: "0",
        ...extra,
      });
      const engine = await startEngine(cfg, cap.logger, { handleSignals: false });
      engines.push(engine);
      const stop = async (reason: string) => {
        engines.splice(engines.indexOf(engine), 1);
        await engine.stop(reason);
      };
      return { ...engine, stop, cap, url: `http://127.0.0.1:${engine.supervisor.httpPort}` };
    },
    /** Publishes a fresh bookTicker for `symbol` every 100 ms, and waits until every engine has it. */
    async quote(symbol: string, price: number) {
      const send = () => this.quoteOnce(symbol, price.toFixed(2), (price + 0.01).toFixed(2), false);
      send();
      // One ticker at a time: a new price replaces the old one.
      clearInterval(ticker);
      ticker = setInterval(send, 100);
      await waitFor(`${symbol} quote in every engine`, () =>
        engines.every((e) => e.prices.get(symbol)?.bid === Number(price.toFixed(2))),
      );
    },
    /** Publishes one bookTicker as given; by default stops the ticker `quote` runs. */
    quoteOnce(symbol: string, bidPrice: string, askPrice: string, stopTicker = true) {
      if (stopTicker) clearInterval(ticker);
      bus.publish(subjects.marketData(symbol, "bookTicker"), MarketData, {
        venue: "binance",
        market: "spot",
        kind: "bookTicker",
        symbol,
        eventTime: Date.now(),
        receiveTime: Date.now(),
        updateId: 1,
        bidPrice,
        bidQty: "1",
        askPrice,
        askQty: "1",
      });
    },
    signal(id: string, extra: Partial<TradingSignalInput> = {}, strategy?: string) {
      const value: TradingSignalInput = {
        signal_id: id,
        strategy_id: "test",
        symbol: "BTCUSDT",
        action: "buy",
        confidence: 0.8,
        timestamp: Date.now(),
        ...extra,
      };
      return bus.publishDurable(subjects.signal(strategy), TradingSignal, value, {
        msgId: `${id}:${Date.now()}:${Math.random()}`,
      });
    },
    async orderEvents(): Promise<OrderEvent[]> {
      return (await streamMessages(STREAMS.orders.name)).map((m) => OrderEvent.parse(m));
    },
    /** The dead-letter records written so far. */
    async deadLetters(): Promise<DeadLetterRecord[]> {
      return (await streamMessages(STREAMS.deadLetters.name)) as DeadLetterRecord[];
    },
    /** The order events of one signal, in order. */
    async eventsOf(signalId: string): Promise<OrderEvent[]> {
      return (await this.orderEvents()).filter((e) => e.signal_id === signalId);
    },
    /** Waits (10 s at most) until `signalId` has `count` events of `kind`, and returns them. */
    async waitEvent(signalId: string, kind: OrderEvent["event"], count = 1): Promise<OrderEvent[]> {
      const ofKind = async () => (await this.eventsOf(signalId)).filter((e) => e.event === kind);
      await waitFor(`${signalId} ${kind} x${count}`, async () => (await ofKind()).length >= count, 10_000);
      return ofKind();
    },
    async cleanup() {
      clearInterval(ticker);
      await Promise.all(engines.map((e) => e.stop("test done")));
      await bus.drain();
      await nats.cleanup();
      await db.cleanup();
    },
  };
}

/**
 * A fresh environment and fake Binance for each test of the suite (registered as beforeEach /
 * afterEach), with `price` as what the fake quotes per symbol (BTCUSDT 30010.50 at the start).
 */
export function exchangeSuite(options: Parameters<typeof fakeBinance>[1] = {}) {
  const t = {} as {
    env: Awaited<ReturnType<typeof environment>>;
    fake: FakeBinanceRest;
    price: Record<string, string>;
  };
  beforeEach(async () => {
    t.env = await environment();
    t.price = { BTCUSDT: "30010.50" };
    t.fake = await fakeBinance((s) => t.price[s], options);
  });
  afterEach(async () => {
    await t.env.cleanup();
    await t.fake.close();
  });
  return t;
}
