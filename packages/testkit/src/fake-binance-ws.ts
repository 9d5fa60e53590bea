import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type WebSocket, WebSocketServer } from "ws";
import { sharedDataDir } from "./shared-data.js";

export interface FakeBinanceWsOptions {
  /** One frame per subscribed stream every `intervalMs` (default 50). */
  intervalMs?: number;
  /** Server pings every `pingIntervalMs` (default 1000), as Binance does every few minutes. */
  pingIntervalMs?: number;
  /**
   * "futures": route streams as USD-M does since 2026-04-23. `/public/stream` serves book streams
   * (`depth…`, `bookTicker`), `/market/stream` the rest, and the bare `/stream` only book streams:
   * anything else subscribed on the wrong route is accepted and stays silent, as on Binance.
   */
  routes?: "spot" | "futures";
}

export interface FakeConnection {
  /** The path's route: "" for `/stream`, "/public" or "/market". */
  route: string;
  streams: string[];
  openedAt: number;
  closedAt?: number;
}

const ROUTES = ["", "/public", "/market"];
/** Whether USD-M serves `stream` on `route` (the bare root carries only `/public` data). */
const servedOn = (route: string, stream: string): boolean => {
  const kind = stream.split("@")[1] ?? "";
  const book = kind.startsWith("depth") || kind === "bookTicker";
  return route === "/market" ? !book : book;
};

export interface FakeBinanceWs {
  /** Base URL for `BINANCE_WS_BASE`: connections go to `<url>/stream?streams=a/b/c`. */
  url: string;
  /** Every connection ever accepted, in order. */
  connections: FakeConnection[];
  /** Open connections now. */
  openCount(): number;
  /** Pongs received in answer to the server's pings. */
  pongs(): number;
  /** Frames sent per stream name. */
  sent: Map<string, number>;
  /** Destroys every socket without a close frame (a network drop). */
  drop(): void;
  /** Stops (or resumes) sending one stream on every connection while keeping the socket open. */
  silence(stream: string, on?: boolean): void;
  /** Sends `serverShutdown` in the combined-stream wrapper on every open connection. */
  serverShutdown(): void;
  /** Sends raw text to every open connection (malformed frames). */
  broadcastRaw(text: string): void;
  close(): Promise<void>;
}

type Template = (symbol: string, seq: number, now: number, stream: string) => unknown;

function loadJson(path: string): unknown {
  return JSON.parse(readFileSync(join(sharedDataDir(), "binance/binance-payloads", path), "utf8"));
}

/** Real recorded payloads, re-stamped per frame: symbol, event time and ids follow the stream. */
function templates(): Record<string, Template> {
  const wrapped = (path: string) => (loadJson(path) as { data: Record<string, unknown> }).data;
  const depth = fullDepth20(wrapped("crypto-crawler-recorded/spot_depth20_partial.json"));
  const trade = loadJson("spot/ws_trade.json") as Record<string, unknown>;
  const aggTrade = wrapped("crypto-crawler-recorded/spot_aggTrade.json");
  const kline = wrapped("crypto-crawler-recorded/spot_kline.json") as { k: Record<string, unknown> };
  const book = wrapped("crypto-crawler-recorded/spot_bookTicker.json");
  return {
    depth: (_s, seq) => ({ ...depth, lastUpdateId: seq }),
    trade: (s, seq, now) => ({ ...trade, s, E: now, T: now, t: seq }),
    aggTrade: (s, seq, now) => ({ ...aggTrade, s, E: now, T: now, a: seq }),
    kline: (s, _seq, now, stream) => ({
      ...kline,
      s,
      E: now,
      k: { ...kline.k, s, i: stream.split("@")[1]?.replace("kline_", "") },
    }),
    bookTicker: (s, seq) => ({ ...book, s, u: seq }),
  };
}

/**
 * The recorded partial depth is trimmed to two levels a side; a real `depth20` frame has twenty.
 * Extend each side from its recorded levels with the same spacing, so frames weigh what Binance's do.
 */
function fullDepth20(recorded: Record<string, unknown>): Record<string, unknown> {
  const extend = (levels: [string, string][], direction: 1 | -1): [string, string][] => {
    const [first, second] = levels;
    if (!first || !second) return levels;
    const decimals = first[0].split(".")[1]?.length ?? 0;
    const step = Math.abs(Number(second[0]) - Number(first[0])) || 10 ** -Math.min(decimals, 8);
    return Array.from({ length: 20 }, (_, i): [string, string] =>
      i < levels.length
        ? (levels[i] as [string, string])
        : [(Number(first[0]) + direction * step * i).toFixed(decimals), first[1]],
    );
  };
  return {
    ...recorded,
    bids: extend(recorded.bids as [string, string][], -1),
    asks: extend(recorded.asks as [string, string][], 1),
  };
}

function templateFor(all: Record<string, Template>, stream: string): Template | undefined {
  const kind = stream.split("@")[1] ?? "";
  if (kind.startsWith("depth")) return all.depth;
  if (kind.startsWith("kline")) return all.kline;
  return all[kind];
}

/**
 * A fake Binance market-stream server on loopback speaking the real WebSocket protocol:
 * `/stream?streams=...` combined streams wrapped as `{"stream":..., "data":...}`, fed from the
 * recorded payloads in `shared/data/binance/binance-payloads`, with pings, `serverShutdown`,
 * abrupt drops and per-stream silence for tests.
 */
export async function startFakeBinanceWs(options: FakeBinanceWsOptions = {}): Promise<FakeBinanceWs> {
  const intervalMs = options.intervalMs ?? 50;
  const all = templates();
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const connections: FakeConnection[] = [];
  const silenced = new Set<string>();
  const sent = new Map<string, number>();
  const sockets = new Set<WebSocket>();
  let pongs = 0;

  wss.on("connection", (socket, request) => {
    const url = new URL(request.url ?? "/", "http://fake");
    const route = url.pathname.replace(/\/stream$/, "");
    const streams = (
      url.pathname.endsWith("/stream") && ROUTES.includes(route)
        ? (url.searchParams.get("streams") ?? "")
        : ""
    )
      .split("/")
      .filter((s) => s !== "");
    const record: FakeConnection = { route, streams, openedAt: Date.now() };
    const serves = (stream: string) => options.routes !== "futures" || servedOn(route, stream);
    connections.push(record);
    sockets.add(socket);
    let seq = 0;
    const frames = setInterval(() => {
      const now = Date.now();
      seq += 1;
      for (const stream of streams) {
        if (silenced.has(stream) || !serves(stream)) continue;
        const template = templateFor(all, stream);
        if (template === undefined) continue;
        const symbol = (stream.split("@")[0] ?? "").toUpperCase();
        socket.send(JSON.stringify({ stream, data: template(symbol, seq, now, stream) }));
        sent.set(stream, (sent.get(stream) ?? 0) + 1);
      }
    }, intervalMs);
    const pings = setInterval(() => socket.ping(), options.pingIntervalMs ?? 1_000);
    socket.on("pong", () => {
      pongs += 1;
    });
    socket.on("close", () => {
      clearInterval(frames);
      clearInterval(pings);
      sockets.delete(socket);
      record.closedAt = Date.now();
    });
    socket.on("error", () => socket.terminate());
  });

  const address = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${address.port}`,
    connections,
    sent,
    openCount: () => sockets.size,
    pongs: () => pongs,
    drop: () => {
      for (const socket of sockets) socket.terminate();
    },
    silence: (stream, on = true) => {
      if (on) silenced.add(stream);
      else silenced.delete(stream);
    },
    serverShutdown: () => {
      const frame = JSON.stringify(loadJson("spot/ws_serverShutdown_combined_wrapper.json"));
      for (const socket of sockets) socket.send(frame);
    },
    broadcastRaw: (text) => {
      for (const socket of sockets) socket.send(text);
    },
    close: async () => {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
