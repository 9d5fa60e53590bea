import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sharedDataDir } from "@tradewire/testkit";
import { describe, expect, it } from "vitest";
import { decodeFrame } from "./frame.js";

const recorded = (path: string) =>
  readFileSync(join(sharedDataDir(), "binance/binance-payloads", path), "utf8");

describe("decodeFrame", () => {
  it("unwraps a recorded combined-stream frame", () => {
    expect(decodeFrame(recorded("crypto-crawler-recorded/spot_bookTicker.json"))).toMatchObject({
      kind: "event",
      stream: "!bookTicker",
      data: { s: "BTCUSDT" },
    });
  });

  it("recognises serverShutdown raw and in its wrapper", () => {
    expect(decodeFrame(recorded("spot/ws_serverShutdown_raw.json"))).toEqual({ kind: "server_shutdown" });
    expect(decodeFrame(recorded("spot/ws_serverShutdown_combined_wrapper.json"))).toEqual({
      kind: "server_shutdown",
    });
  });

  it("says why a frame is malformed", () => {
    expect(decodeFrame("{oops")).toMatchObject({
      kind: "malformed",
      reason: expect.stringContaining("not JSON"),
    });
    expect(decodeFrame(recorded("spot/ws_trade.json"))).toMatchObject({
      kind: "malformed",
      reason: expect.stringContaining("{stream, data}"),
    });
    expect(decodeFrame("null")).toMatchObject({ kind: "malformed" });
  });
});
