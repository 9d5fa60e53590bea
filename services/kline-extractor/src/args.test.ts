import { describe, expect, it } from "vitest";
import { parseCli, UsageError } from "./args.js";

const T = (iso: string) => Date.parse(iso);

describe("CLI arguments", () => {
  it("parses a backfill with symbols, interval, market and dates", () => {
    expect(
      parseCli([
        "backfill",
        "--symbols",
        "btcusdt, ETHUSDT,BTCUSDT",
        "--interval",
        "5m",
        "--start",
        "2023-03-16",
        "--end",
        "2023-05-01T12:00:00Z",
        "--market",
        "futures",
        "--concurrency",
        "4",
        "--dry-run",
      ]),
    ).toEqual({
      mode: "backfill",
      symbols: ["BTCUSDT", "ETHUSDT"],
      interval: "5m",
      market: "futures",
      start: T("2023-03-16T00:00:00Z"),
      end: T("2023-05-01T12:00:00Z"),
      concurrency: 4,
      dryRun: true,
    });
  });

  it("accepts --period as an alias of --interval and defaults market, concurrency and dates", () => {
    expect(parseCli(["incremental", "--symbols", "BTCUSDT", "--period", "15m"])).toMatchObject({
      mode: "incremental",
      interval: "15m",
      market: "spot",
      concurrency: 2,
      start: undefined,
      end: undefined,
      dryRun: false,
    });
    expect(parseCli(["gap-fill", "--symbols=BTCUSDT", "--interval=1m"])).toMatchObject({ mode: "gap-fill" });
  });

  it("returns help for -h or no command", () => {
    expect(parseCli(["-h"])).toBe("help");
    expect(parseCli([])).toBe("help");
  });

  it.each([
    [["backfill", "--symbols", "BTCUSDT", "--interval", "7m", "--start", "2023-03-16"], /--interval: "7m"/],
    [
      ["backfill", "--symbols", "BTCUSDT", "--interval", "1m", "--start", "yesterday"],
      /--start: cannot read "yesterday"/,
    ],
    [["backfill", "--symbols", "BTCUSDT", "--interval", "1m"], /backfill needs --start/],
    [["incremental", "--symbols", "BTC-USDT", "--interval", "1m"], /--symbols: "BTC-USDT"/],
    [["incremental", "--symbols", ",", "--interval", "1m"], /--symbols: "," names no symbol/],
    [["incremental", "--symbols", "BTCUSDT", "--interval", "1m", "--market", "margin"], /--market: "margin"/],
    [["incremental", "--symbols", "BTCUSDT", "--interval", "1m", "--concurrency", "0"], /--concurrency: "0"/],
    [["incremental", "--interval", "1m"], /--symbols is required/],
    [["incremental", "--symbols", "BTCUSDT"], /--interval \(or --period\) is required/],
    [["incremental", "--symbols", "BTCUSDT", "--interval", "1m", "--period", "5m"], /disagree/],
    [["export", "--symbols", "BTCUSDT"], /unknown command "export"/],
    [["incremental", "--symbols", "BTCUSDT", "--interval", "1m", "--bogus"], /bogus/],
    [
      [
        "gap-fill",
        "--symbols",
        "BTCUSDT",
        "--interval",
        "1m",
        "--start",
        "2023-05-01",
        "--end",
        "2023-03-16",
      ],
      /--end 2023-03-16 is not after --start 2023-05-01/,
    ],
  ])("rejects %j naming the flag and value", (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
    expect(() => parseCli(argv)).toThrow(message);
  });
});
