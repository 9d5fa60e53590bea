import { describe, expect, it } from "vitest";
import { redactStreamUrl, signWsApiParams } from "./user-stream.js";

describe("signWsApiParams", () => {
  it("matches Binance's WebSocket API example: params sorted by name, HMAC-SHA256 in hex", () => {
    // web-socket-api.md, "SIGNED request security", first example (given here out of order).
    const params = {
      type: "LIMIT",
      timestamp: 1645423376532,
      symbol: "BTCUSDT",
      side: "SELL",
      apiKey: "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
      price: "52000.00",
      quantity: "0.01000000",
      recvWindow: 100,
      timeInForce: "GTC",
    };
    expect(signWsApiParams(params, "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")).toBe(
      "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24",
    );
  });
});

describe("redactStreamUrl", () => {
  it("hides a listenKey in the path (USD-M /private/ws/<key>) or in the query, keeping the rest", () => {
    const key = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1";
    expect(redactStreamUrl(`wss://fstream.binance.com/private/ws/${key}?events=ORDER_TRADE_UPDATE`)).toBe(
      "wss://fstream.binance.com/private/ws/***?events=ORDER_TRADE_UPDATE",
    );
    expect(redactStreamUrl(`wss://fstream.binance.com/private/ws?listenKey=${key}`)).toBe(
      "wss://fstream.binance.com/private/ws?listenKey=***",
    );
    expect(redactStreamUrl("wss://ws-api.binance.com:443/ws-api/v3")).toBe(
      "wss://ws-api.binance.com/ws-api/v3",
    );
  });
});
