/** Binance stream names for symbols × streams: `btcusdt@depth20@100ms`, `ethusdt@kline_1m`. */
export function streamNames(symbols: readonly string[], streams: readonly string[]): string[] {
  return symbols.flatMap((symbol) => streams.map((stream) => `${symbol.toLowerCase()}@${stream}`));
}

/**
 * Splits stream names into connections of at most `maxPerConnection` streams (Binance allows 1024
 * per connection and limits new connections per IP, so few large connections are better).
 */
export function shardStreams(names: readonly string[], maxPerConnection: number): string[][] {
  if (maxPerConnection < 1) throw new Error(`maxPerConnection must be >= 1, got ${maxPerConnection}`);
  const shards: string[][] = [];
  for (let i = 0; i < names.length; i += maxPerConnection) shards.push(names.slice(i, i + maxPerConnection));
  return shards;
}

/** One exchange connection: its route under the base URL ("" on spot) and its streams. */
export interface StreamShard {
  route: string;
  streams: string[];
}

/**
 * Where USD-M futures serves a stream since 2026-04-23: book data (`@depth…`, `@bookTicker`) on
 * `/public`, the rest (`@trade`, `@aggTrade`, `@kline_…`, `@markPrice`…) on `/market`. On the bare
 * root only `/public` data flows: a kline subscribed there stays silent, with no error.
 */
export function futuresRoute(name: string): "/public" | "/market" {
  const stream = name.slice(name.indexOf("@") + 1);
  return stream.startsWith("depth") || stream === "bookTicker" ? "/public" : "/market";
}

/** The connections for `names`: spot's on the root, futures' grouped by route; each group sharded. */
export function planShards(
  names: readonly string[],
  market: "spot" | "futures",
  maxPerConnection: number,
): StreamShard[] {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const route = market === "futures" ? futuresRoute(name) : "";
    groups.set(route, [...(groups.get(route) ?? []), name]);
  }
  return [...groups].flatMap(([route, group]) =>
    shardStreams(group, maxPerConnection).map((streams) => ({ route, streams })),
  );
}

/** The combined-stream URL for one connection. */
export function combinedStreamUrl(base: string, streams: readonly string[], route = ""): string {
  return `${base.replace(/\/+$/, "")}${route}/stream?streams=${streams.join("/")}`;
}
