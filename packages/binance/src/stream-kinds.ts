/** Partial book depth: the top 5, 10 or 20 levels as a whole book, at an optional update speed. */
const PARTIAL_DEPTH = /^depth(5|10|20)(@(100|250|500|1000)ms)?$/;
const DIFF_DEPTH = /^depth(@(100|250|500|1000)ms)?$/;
const KLINE = /^kline_(1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M)$/;
const PLAIN = new Set(["trade", "aggTrade", "bookTicker"]);

/**
 * Why diff depth is refused (F44). Its events are changes to a book kept locally from a REST
 * snapshot; one missed (a sequence break) leaves that book wrong with nothing to show for it, and
 * read as books (spot's and futures' both are `depthUpdate` events, futures' partial depth too)
 * they would be published as books of a few levels, some of quantity 0.
 */
export const DIFF_DEPTH_REFUSED =
  "diff depth is not relayed: its events are changes to a local book, which a missed one leaves silently wrong (F44); the relay publishes whole books: use depth20@100ms (or depth5, depth10)";

const SUPPORTED_STREAMS =
  "depth5|depth10|depth20[@100ms|@250ms|@500ms|@1000ms], trade, aggTrade, kline_<interval>, bookTicker";

/** Why `normalizeStreamEvent` cannot carry `<symbol>@<suffix>`, or undefined when it can. */
export function unsupportedStream(suffix: string): string | undefined {
  if (PARTIAL_DEPTH.test(suffix) || KLINE.test(suffix) || PLAIN.has(suffix)) return undefined;
  if (DIFF_DEPTH.test(suffix)) return DIFF_DEPTH_REFUSED;
  return `not a stream the relay carries (${SUPPORTED_STREAMS})`;
}

/** `depth20`, the kind part of `btcusdt@depth20@100ms`, is a partial book. */
export function isPartialDepth(kind: string): boolean {
  return PARTIAL_DEPTH.test(kind);
}

/** `depth`, the kind part of `btcusdt@depth@100ms`, is diff depth. */
export function isDiffDepth(kind: string): boolean {
  return DIFF_DEPTH.test(kind);
}

/**
 * What `<symbol>@<suffix>` is published as once normalized (the subject's tail): every partial
 * depth is a `depth20` book, `trade` and `aggTrade` are both trades, a kline keeps its interval.
 * Two streams with the same one would interleave on one subject. Undefined for one not carried.
 */
export function publishedAs(suffix: string): string | undefined {
  if (PARTIAL_DEPTH.test(suffix)) return "depth20";
  if (suffix === "trade" || suffix === "aggTrade") return "trade";
  const kline = KLINE.exec(suffix);
  if (kline) return `kline.${kline[1]}`;
  return suffix === "bookTicker" ? "bookTicker" : undefined;
}
