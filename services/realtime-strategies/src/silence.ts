import type { Strategy, Trigger } from "./strategies/types.js";
import type { SymbolState } from "./symbol-state.js";

/** The market data kind each trigger reads. */
const KIND_READ: Record<Trigger, string> = { depth: "depth20", trade: "trade", candle: "kline" };

/** The kinds of market data the strategies read, each with the strategies reading it. */
export function kindsRead(strategies: readonly Strategy[]): Map<string, string[]> {
  const read = new Map<string, string[]>();
  for (const s of strategies) {
    const kind = KIND_READ[s.trigger];
    read.set(kind, [...(read.get(kind) ?? []), s.name]);
  }
  return read;
}

export interface SilentKind {
  kind: string;
  /** Seconds since it came last, or "never". */
  silentForS: number | "never";
  strategies: string[];
}

/**
 * The kinds a symbol's strategies read that came no later than `staleMs` ago, or never. A feed
 * whose books stopped while its trades go on looks alive by the symbol's last message; the book
 * strategies would then be evaluated on nothing new, without a word (F39).
 */
export function silentKinds(
  state: SymbolState,
  read: ReadonlyMap<string, string[]>,
  now: number,
  staleMs: number,
): SilentKind[] {
  const silent: SilentKind[] = [];
  for (const [kind, strategies] of read) {
    const at = state.lastKindAt.get(kind);
    if (at !== undefined && now - at <= staleMs) continue;
    silent.push({ kind, silentForS: at === undefined ? "never" : Math.round((now - at) / 1000), strategies });
  }
  return silent;
}
