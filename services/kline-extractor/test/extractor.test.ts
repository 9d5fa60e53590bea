import { Bus } from "@tradewire/bus";
import { captureLogger } from "@tradewire/logger";
import { subjects } from "@tradewire/schemas";
import { natsNamespace, pgSchema, waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NatsEventSink } from "../src/events.js";
import { Extractor, type RunOptions } from "../src/extractor.js";
import type { KlineRangeRequest } from "../src/source.js";
import { countStored, findGaps, migrate } from "../src/storage/index.js";
import { loadCandleRows } from "./candles.js";
import { FakeExchangeError, RowsSource, row, silent, T } from "./helpers.js";

const M = 60_000;
const HALT = { start: T("2023-03-24T12:40:00Z"), end: T("2023-03-24T13:59:00Z") };
const btc = loadCandleRows();

let db: Awaited<ReturnType<typeof pgSchema>>;
let ns: Awaited<ReturnType<typeof natsNamespace>>;
let bus: Bus;
let events: { subject: string; data: Record<string, unknown> }[];

beforeEach(async () => {
  db = await pgSchema("kx");
  await migrate(db.pool);
  ns = await natsNamespace("kx");
  bus = await Bus.connect({ servers: ns.url, name: "kx-test", logger: silent, namespace: ns.namespace });
  events = [];
  const sub = bus.nc.subscribe(`${ns.namespace}.binance.extraction.>`);
  (async () => {
    for await (const m of sub)
      events.push({ subject: m.subject.slice(ns.namespace.length + 1), data: m.json() });
  })().catch(() => undefined);
  await bus.nc.flush();
});
afterEach(async () => {
  await bus.drain();
  await ns.cleanup();
  await db.cleanup();
});

function extractor(source: RowsSource, sink = new NatsEventSink(bus, "binance.extraction", silent)) {
  return { sink, x: new Extractor({ pool: db.pool, source, events: sink, log: silent }) };
}
const base: Omit<RunOptions, "mode"> = {
  market: "spot",
  interval: "1m",
  symbols: ["BTCUSDT"],
  start: T("2023-03-16T00:00:00Z"),
  end: T("2023-05-02T00:00:00Z"), // the file runs 2023-03-16T22:15 to 2023-05-01T21:01
  concurrency: 2,
  dryRun: false,
};
const key = { market: "spot" as const, symbol: "BTCUSDT", interval: "1m" as const };

describe("kline extraction (real PostgreSQL and NATS)", () => {
  it.each([
    ["a page that fails", () => new FakeExchangeError(-1003, "Too many requests.")],
    ["a stop", () => new DOMException("This operation was aborted", "AbortError")],
  ])(
    "F38 keeps what it fetched before %s: the rows still buffered are written, not fetched again",
    async (_, failure) => {
      // Three pages of 1000 arrive, then the fourth fails; 10000 rows are buffered before a write.
      const source = new (class extends RowsSource {
        override async *pages(req: KlineRangeRequest) {
          let n = 0;
          for await (const page of super.pages(req)) {
            if (++n > 3) throw failure();
            yield page;
          }
        }
      })({ BTCUSDT: btc });
      const { x } = extractor(source);
      const report = await x.run({ ...base, mode: "backfill" });
      expect(report.symbols[0]).toMatchObject({
        success: false,
        recordsFetched: 3_000,
        recordsWritten: 3_000,
      });
      expect(await countStored(db.pool, key)).toBe(3_000);
    },
  );

  it("F38 a page that fails with the rows before it unwritable too reports both errors, the page's first, and says the write's at error", async () => {
    const source = new (class extends RowsSource {
      override async *pages(req: KlineRangeRequest) {
        let n = 0;
        for await (const page of super.pages(req)) {
          if (++n > 3) throw new FakeExchangeError(-1003, "Too many requests.");
          yield page;
        }
      }
    })({ BTCUSDT: btc });
    // The database refuses every kline write, as one out of disk does.
    await db.pool.query(`
      CREATE FUNCTION refuse_klines() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
      CREATE TRIGGER refuse_klines BEFORE INSERT ON klines EXECUTE FUNCTION refuse_klines();`);
    const cap = captureLogger("kline-extractor");
    const x = new Extractor({
      pool: db.pool,
      source,
      events: new NatsEventSink(bus, "binance.extraction", silent),
      log: cap.logger,
    });
    const report = await x.run({ ...base, mode: "backfill" });
    expect(report.symbols[0]).toMatchObject({ success: false, recordsFetched: 3_000, recordsWritten: 0 });
    expect(report.symbols[0]?.errors).toEqual([
      expect.stringContaining("Too many requests."),
      expect.stringContaining("No space left on device"),
    ]);
    expect(
      cap.find("klines fetched before the failure could not be written; the next run fetches them again"),
    ).toEqual([expect.objectContaining({ level: "error", symbol: "BTCUSDT" })]);
  });

  it("backfills every candle once, gap-fill reports the real halt unfillable, re-runs write nothing", async () => {
    const source = new RowsSource({ BTCUSDT: btc });
    const { x } = extractor(source);

    const backfill = await x.run({ ...base, mode: "backfill" });
    expect(backfill.symbols[0]).toMatchObject({
      success: true,
      recordsFetched: 66_087,
      recordsWritten: 66_087,
    });
    expect(await countStored(db.pool, key)).toBe(66_087);

    const gapFill = await x.run({ ...base, mode: "gap-fill", start: undefined, end: undefined });
    expect(gapFill.symbols[0]).toMatchObject({
      success: true,
      gapsFound: 80,
      gapsFilled: 0,
      recordsWritten: 0,
      unfillableCandles: 80,
      unfillable: [HALT],
    });

    const callsBefore = source.calls;
    const again = await x.run({ ...base, mode: "gap-fill", start: undefined, end: undefined });
    expect(again.symbols[0]).toMatchObject({ gapsFound: 80, gapsFilled: 0, unfillableCandles: 80 });
    expect(source.calls).toBe(callsBefore); // a known halt is not fetched again

    const rerun = await x.run({ ...base, mode: "backfill" });
    expect(rerun.symbols[0]).toMatchObject({ recordsFetched: 66_087, recordsWritten: 0 });
    expect(await countStored(db.pool, key)).toBe(66_087);

    await waitFor("4 completion events", () => events.length === 4);
    expect(events.map((e) => e.subject)).toEqual([
      subjects.extraction("klines", "BTCUSDT", "1m"),
      subjects.extraction("klines_gap_filling", "BTCUSDT", "1m"),
      subjects.extraction("klines_gap_filling", "BTCUSDT", "1m"),
      subjects.extraction("klines", "BTCUSDT", "1m"),
    ]);
    expect(events[0]?.data).toMatchObject({
      event_type: "extraction_completed",
      extraction_type: "klines",
      symbol: "BTCUSDT",
      period: "1m",
      success: true,
      metrics: { records_fetched: 66_087, records_written: 66_087, gaps_found: 0, gaps_filled: 0 },
      errors: [],
    });
    expect(events[1]?.data).toMatchObject({
      extraction_type: "klines_gap_filling",
      metrics: { records_fetched: 0, records_written: 0, gaps_found: 80, gaps_filled: 0 },
    });
    expect(events[3]?.data).toMatchObject({ metrics: { records_fetched: 66_087, records_written: 0 } });
  });

  it("gap-fill fetches only the missing ranges and fills what the exchange has", async () => {
    const source = new RowsSource({ BTCUSDT: btc });
    const { x } = extractor(source);
    const day = btc.slice(0, 1440);
    const holes = day.filter(
      (r) => !(r.openTime >= T("2023-03-17T10:00:00Z") && r.openTime < T("2023-03-17T10:30:00Z")),
    );
    const { writeKlines } = await import("../src/storage/writer.js");
    await writeKlines(db.pool, key, holes);
    expect((await findGaps(db.pool, key, { stepMs: M })).map((g) => g.missing)).toEqual([30]);
    const calls = source.calls;
    const report = await x.run({ ...base, mode: "gap-fill", start: undefined, end: undefined });
    expect(report.symbols[0]).toMatchObject({
      gapsFound: 30,
      gapsFilled: 30,
      recordsFetched: 30,
      unfillableCandles: 0,
    });
    expect(source.calls - calls).toBe(1);
    expect(await countStored(db.pool, key)).toBe(day.length);
  });

  it("F38 a gap-fill stopped between pages records nothing unfillable and reports the symbol not done; the next run fills every gap", async () => {
    const day = btc.slice(0, 1440);
    const inHole = (t: number) =>
      (t >= T("2023-03-17T10:00:00Z") && t < T("2023-03-17T10:30:00Z")) ||
      (t >= T("2023-03-17T14:00:00Z") && t < T("2023-03-17T14:30:00Z"));
    const { writeKlines } = await import("../src/storage/writer.js");
    await writeKlines(
      db.pool,
      key,
      day.filter((r) => !inHole(r.openTime)),
    );
    const stop = new AbortController();
    // Ctrl-C lands after the first page; the source then ends quietly, as a page loop checking
    // its signal between pages did.
    const stopping = new (class extends RowsSource {
      override async *pages(req: KlineRangeRequest) {
        for await (const page of super.pages(req)) {
          if (req.signal?.aborted) return;
          yield page;
          stop.abort(new Error("interrupted"));
        }
      }
    })({ BTCUSDT: btc }, 10);
    const cap = captureLogger("kline-extractor");
    const x = new Extractor({
      pool: db.pool,
      source: stopping,
      events: extractor(stopping).sink,
      log: cap.logger,
    });
    const gapFill = { ...base, mode: "gap-fill" as const, start: undefined, end: undefined };
    const report = await x.run({ ...gapFill, signal: stop.signal });
    expect(report.symbols[0]).toMatchObject({
      success: false,
      errors: ["interrupted"],
      gapsFound: 60,
      recordsWritten: 10,
      unfillableCandles: 0,
    });
    const unfillable = await db.pool.query("SELECT count(*)::int AS n FROM kline_unfillable_gaps");
    expect(unfillable.rows[0]).toEqual({ n: 0 });
    expect(
      cap.find("symbol extraction stopped before it completed: the next run goes on from what was stored")[0],
    ).toMatchObject({ level: "warn", reason: "interrupted", written: 10 });
    expect(cap.find("symbol extraction failed")).toEqual([]);
    const again = await extractor(new RowsSource({ BTCUSDT: btc })).x.run(gapFill);
    expect(again.symbols[0]).toMatchObject({
      success: true,
      gapsFound: 50,
      gapsFilled: 50,
      unfillableCandles: 0,
    });
    expect(await countStored(db.pool, key)).toBe(day.length);
  });

  it("F39 an exchange that serves no candles for the end of the range (a halted or delisted symbol) is said at warn once per series, and at info once it serves them again", async () => {
    const day = btc.slice(0, 1440);
    const { writeKlines } = await import("../src/storage/writer.js");
    await writeKlines(db.pool, key, day);
    const lastStored = (day.at(-1) as (typeof day)[number]).openTime;
    const served = [...day];
    const cap = captureLogger("kline-extractor");
    let now = lastStored + 11 * M;
    const source = new RowsSource({ BTCUSDT: served });
    const x = new Extractor({
      pool: db.pool,
      source,
      events: extractor(source).sink,
      log: cap.logger,
      now: () => now,
    });
    const incremental = { ...base, mode: "incremental" as const, start: undefined, end: undefined };
    const silent = () =>
      cap.find("the exchange serves no candles for the end of the range: is the symbol halted or delisted?");
    // Ten candles closed since the last stored, none served.
    expect((await x.run(incremental)).symbols[0]).toMatchObject({
      success: true,
      expected: 10,
      recordsFetched: 0,
    });
    expect(silent()).toHaveLength(1);
    expect(silent()[0]).toMatchObject({
      level: "warn",
      missing: 10,
      newestServed: null,
      upTo: new Date(lastStored + 10 * M).toISOString(),
    });
    now += M;
    await x.run(incremental);
    expect(silent()).toHaveLength(1);
    // Trading again: the candles come.
    served.push(...btc.slice(1440, 1452));
    await x.run(incremental);
    expect(cap.find("the exchange serves the symbol's candles again")[0]).toMatchObject({ level: "info" });
    expect(await countStored(db.pool, key)).toBe(1451);
  });

  it("isolates a failing symbol in errors[] while the others complete, with a batch event", async () => {
    const eth = btc.slice(0, 1440);
    const source = new RowsSource({ BTCUSDT: btc.slice(0, 1440), ETHUSDT: eth });
    const { x } = extractor(source);
    const report = await x.run({
      ...base,
      mode: "backfill",
      symbols: ["BTCUSDT", "NOPEUSDT", "ETHUSDT"],
      end: T("2023-03-18T00:00:00Z"),
    });
    expect(report.symbols.map((s) => [s.symbol, s.success, s.recordsWritten])).toEqual([
      ["BTCUSDT", true, 1440],
      ["NOPEUSDT", false, 0],
      ["ETHUSDT", true, 1440],
    ]);
    expect(report.symbols[1]?.errors).toEqual(["-1121: Invalid symbol."]);
    await waitFor("batch event", () => events.find((e) => e.subject.includes(".batch.")));
    const batch = events.find((e) => e.subject === subjects.extractionBatch("klines", "1m"));
    expect(batch?.data).toMatchObject({
      event_type: "batch_extraction_completed",
      symbols: ["BTCUSDT", "NOPEUSDT", "ETHUSDT"],
      success: false,
      metrics: { total_records_fetched: 2880, total_records_written: 2880, symbols_processed: 3 },
      errors: ["NOPEUSDT: -1121: Invalid symbol."],
    });
    const failed = events.find((e) => e.subject === subjects.extraction("klines", "NOPEUSDT", "1m"));
    expect(failed?.data).toMatchObject({ success: false, errors: ["-1121: Invalid symbol."] });
  });

  it("F42 incremental continues from the last stored candle and never stores a forming one", async () => {
    const now = T("2023-03-16T01:00:30Z");
    const rows = Array.from({ length: 61 }, (_, i) => row(T("2023-03-16T00:00:00Z") + i * M)); // incl. forming 01:00
    const source = new RowsSource({ BTCUSDT: rows });
    const sink = new NatsEventSink(bus, "binance.extraction", silent);
    const x = new Extractor({ pool: db.pool, source, events: sink, log: silent, now: () => now });
    await x.run({ ...base, mode: "backfill", end: T("2023-03-16T00:30:00Z") });
    expect(await countStored(db.pool, key)).toBe(30);
    const inc = await x.run({ ...base, mode: "incremental", start: undefined, end: undefined });
    expect(inc.symbols[0]).toMatchObject({ expected: 30, recordsWritten: 30 });
    expect(await countStored(db.pool, key)).toBe(60);
    expect(await countStored(db.pool, key, T("2023-03-16T01:00:00Z"))).toBe(0);
    const none = await x.run({ ...base, mode: "incremental", start: undefined, end: undefined });
    expect(none.symbols[0]).toMatchObject({ expected: 0, recordsFetched: 0 });
  });

  it("completes the run when NATS is down, warning with the symbol and counting the failure", async () => {
    const cap = captureLogger("kx");
    const sink = new NatsEventSink(undefined, "binance.extraction", cap.logger);
    const x = new Extractor({
      pool: db.pool,
      source: new RowsSource({ BTCUSDT: btc.slice(0, 100) }),
      events: sink,
      log: silent,
    });
    const report = await x.run({ ...base, mode: "backfill", end: T("2023-03-18T00:00:00Z") });
    expect(report.symbols[0]).toMatchObject({ success: true, recordsWritten: 100 });
    expect(sink.failures).toBe(1);
    expect(cap.find("completion event not published")[0]).toMatchObject({ symbol: "BTCUSDT" });
  });

  it("dry-run plans without fetching, writing or publishing", async () => {
    const source = new RowsSource({ BTCUSDT: btc });
    const { x } = extractor(source);
    const report = await x.run({ ...base, mode: "backfill", dryRun: true });
    expect(report.symbols[0]).toMatchObject({ expected: 47 * 1440, recordsFetched: 0, recordsWritten: 0 });
    expect(source.calls).toBe(0);
    expect(await countStored(db.pool, key)).toBe(0);
    await bus.nc.flush();
    expect(events).toEqual([]);
  });
});
