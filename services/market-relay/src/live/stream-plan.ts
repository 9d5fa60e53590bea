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

/** The combined-stream URL for one connection. */
export function combinedStreamUrl(base: string, streams: readonly string[]): string {
  return `${base.replace(/\/+$/, "")}/stream?streams=${streams.join("/")}`;
}
