import {
  applyOrderFilters,
  numberToDecimal,
  roundDownToStep,
  type SymbolFilters,
  type TimeInForce,
  toDecimal,
} from "@tradewire/binance";
import type { RejectionSource } from "@tradewire/schemas";
import type { EquityReading } from "./account-equity.js";
import type { Config } from "./config.js";
import { isDust, lotOf, stepFor } from "./dust.js";
import { assetsOf } from "./execution/venue.js";
import { opposes, round8, unrealizedLosses } from "./paper.js";
import type { OrderRequest } from "./request.js";

export interface Quote {
  bid: number;
  ask: number;
  /** Wall time the quote was received, epoch ms. */
  at: number;
}

export interface PortfolioView {
  /** Signed quantity and average price per symbol. */
  positions: ReadonlyMap<string, { quantity: number; avgPrice: number }>;
  killSwitch: boolean;
  dailyRealizedPnl: number;
  /** Last execution time per `strategy|symbol`. */
  lastExecution: ReadonlyMap<string, number>;
  /**
   * Notional of resting limit entries per symbol: counted by the limits as if filled, so orders
   * waiting in the book cannot add up past them.
   */
  restingEntries?: ReadonlyMap<string, number>;
  /** A symbol's live mid price, to value open positions at; without one, their entry price. */
  markOf?: (symbol: string) => number | undefined;
  /** A symbol's last mid however old: a feed gone quiet must not hide a position's loss. */
  lastMidOf?: (symbol: string) => number | undefined;
  /**
   * What `position_size_pct` is a fraction of: the account's equity (paper: now, realized and
   * unrealized PnL included; an exchange: as last read), or why it is not known: such a signal is
   * then refused, not sized on a made-up number.
   */
  equity: () => EquityReading;
}

export type Decision =
  | { kind: "hold" }
  | { kind: "reject"; source: RejectionSource; reason: string; step: string }
  | {
      kind: "execute";
      side: "BUY" | "SELL";
      quantity: string;
      refPrice: number;
      notional: number;
      closing: boolean;
      /** A LIMIT order's price, on the symbol's tick when the exchange filters are known. */
      limitPrice?: string;
      /** A LIMIT's time in force: GTC rests (paper), IOC and FOK fill at once or expire. */
      timeInForce?: TimeInForce;
    };

export interface Check {
  step: string;
  outcome: "pass" | "reject";
  detail?: string;
}

/**
 * The decision pipeline, pure: stale (past or future) → hold → the entry checks (kill switch →
 * whitelist → confidence → cooldown) → price → sizing (rounded down; below MIN_NOTIONAL rejected)
 * → risk limits. Closes skip the entry checks and the limits; an order against the position is a
 * close up to its size, and one larger flips it and takes the entry checks after sizing. Every step
 * is recorded in `checks` so the lifecycle can be shown.
 */
export function decide(
  req: OrderRequest,
  quote: Quote | undefined,
  view: PortfolioView,
  cfg: Config,
  now: number,
  checks: Check[],
  /** The exchange's trading rules per symbol (EXCHANGE_INFO_FILE); without them, paper stand-ins. */
  exchangeFilters?: ReadonlyMap<string, SymbolFilters>,
): Decision {
  const reject = (source: RejectionSource, step: string, reason: string): Decision => {
    checks.push({ step, outcome: "reject", detail: reason });
    return { kind: "reject", source, reason, step };
  };
  const pass = (step: string, detail?: string) => checks.push({ step, outcome: "pass", detail });

  const ageMs = now - req.timestampMs;
  if (ageMs > cfg.MAX_SIGNAL_AGE_SECONDS * 1000)
    return reject("validation", "stale", staleReason(ageMs, cfg.MAX_SIGNAL_AGE_SECONDS));
  // A time ahead of the engine's clock would never go stale (a producer's microseconds read as
  // milliseconds, a zone-less local time): rejected beyond what clocks may disagree by.
  if (-ageMs > cfg.MAX_SIGNAL_CLOCK_SKEW_SECONDS * 1000)
    return reject(
      "validation",
      "stale",
      `future_signal: ${Math.round(-ageMs / 1000)} s ahead of the engine's clock (max ${cfg.MAX_SIGNAL_CLOCK_SKEW_SECONDS})`,
    );
  pass("stale", `${ageMs} ms old`);
  if (req.action === "HOLD") {
    pass("hold", "recorded, not executed");
    return { kind: "hold" };
  }
  const position = view.positions.get(req.symbol);
  const held = Math.abs(position?.quantity ?? 0);
  // A BUY or SELL against the position reduces it, as a CLOSE does, unless sizing shows it is larger
  // than the position: then it flips it, and opens a position like any entry.
  const against = req.action !== "CLOSE" && opposes(position?.quantity ?? 0, req.action);
  const entryGate = (): Decision | undefined => {
    if (view.killSwitch) return reject("risk", "kill_switch", "kill_switch_active: new entries are blocked");
    pass("kill_switch");
    if (cfg.SYMBOL_WHITELIST.length && !cfg.SYMBOL_WHITELIST.includes(req.symbol))
      return reject("risk", "whitelist", `symbol_not_whitelisted: ${req.symbol}`);
    const { quote: quoteAsset } = assetsOf(req.symbol, exchangeFilters?.get(req.symbol));
    if (!cfg.USD_QUOTE_ASSETS.includes(quoteAsset))
      return reject(
        "risk",
        "whitelist",
        `unsupported_quote_asset: ${req.symbol} is quoted in ${quoteAsset || "an asset not known without EXCHANGE_INFO_FILE"}; sizes, limits and PnL are in USD (USD_QUOTE_ASSETS=${cfg.USD_QUOTE_ASSETS.join(",")})`,
      );
    pass("whitelist");
    if (req.confidence < cfg.MIN_CONFIDENCE)
      return reject(
        "risk",
        "confidence",
        `confidence_below_minimum: ${req.confidence} < ${cfg.MIN_CONFIDENCE}`,
      );
    pass("confidence");
    const last = view.lastExecution.get(`${req.strategyId}|${req.symbol}`);
    if (last !== undefined && now - last < cfg.COOLDOWN_SECONDS * 1000)
      return reject(
        "risk",
        "cooldown",
        `cooldown_active: ${Math.ceil((cfg.COOLDOWN_SECONDS * 1000 - (now - last)) / 1000)} s left for ${req.strategyId} on ${req.symbol}`,
      );
    pass("cooldown");
    return undefined;
  };
  if (req.action === "CLOSE")
    pass("entry_checks", "a close: kill switch, whitelist, confidence and cooldown do not apply");
  else if (!against) {
    const refused = entryGate();
    if (refused) return refused;
  }
  if (!quote || now - quote.at > cfg.PRICE_MAX_AGE_MS) {
    return reject(
      "paper",
      "price",
      `no_recent_price: no quote for ${req.symbol} within ${cfg.PRICE_MAX_AGE_MS} ms`,
    );
  }
  pass("price", `bid ${quote.bid} ask ${quote.ask}`);
  const limit = req.orderType === "LIMIT" ? req.limitPrice : undefined;
  const timeInForce = req.orderType === "LIMIT" ? (req.timeInForce ?? "GTC") : undefined;
  if (req.orderType === "LIMIT") {
    if (limit === undefined)
      return reject("validation", "order_type", "limit_price_missing: a LIMIT order needs a price");
    pass("order_type", `LIMIT ${timeInForce} @ ${limit}`);
  }

  let side: "BUY" | "SELL";
  let rawQty: number;
  // The price the order fills at now: the touch, or its limit when the touch has not reached it. A
  // sell limit far below the bid fills at the bid, so it is sized and checked there, not at its limit.
  const fillPriceFor = (s: "BUY" | "SELL") => {
    const touch = s === "BUY" ? quote.ask : quote.bid;
    if (limit === undefined) return touch;
    return s === "BUY" ? Math.min(limit, touch) : Math.max(limit, touch);
  };
  if (req.action === "CLOSE") {
    if (!position || position.quantity === 0)
      return reject("validation", "sizing", `no_position: nothing to close on ${req.symbol}`);
    if (
      isDust(position.quantity, lotOf(req.symbol, position.avgPrice, cfg, exchangeFilters), position.avgPrice)
    )
      return reject(
        "validation",
        "sizing",
        `no_position: only dust is left on ${req.symbol} (${toDecimal(held)}, under what the exchange trades)`,
      );
    side = position.quantity > 0 ? "SELL" : "BUY";
    rawQty = held;
  } else {
    side = req.action;
    const price = fillPriceFor(side);
    let usd = req.quoteQuantity ?? req.positionSizeUsd ?? cfg.DEFAULT_POSITION_SIZE_USD;
    // A fraction of equity sizes the order only when nothing more explicit came with it.
    const pct = req.positionSizePct;
    if (
      pct !== undefined &&
      req.quantity === undefined &&
      req.quoteQuantity === undefined &&
      req.positionSizeUsd === undefined
    ) {
      const equity = view.equity();
      if ("unknown" in equity)
        return reject(
          "sizing",
          "sizing",
          `account_equity_unknown: position_size_pct ${pct} is a fraction of the account's equity, and ${equity.unknown}; send quantity, quote_quantity or position_size_usd`,
        );
      usd = pct * equity.usd;
    }
    rawQty = req.quantity ?? usd / price;
  }
  const refPrice = fillPriceFor(side);
  // Spot holds no short: what the engine sells is what it bought (see spot_short below).
  const paper = cfg.TRADING_MODE === "paper";
  const spotExchange = !paper && cfg.BINANCE_MARKET === "spot";
  const futuresExchange = !paper && cfg.BINANCE_MARKET === "futures";
  const heldLong = Math.max(position?.quantity ?? 0, 0);
  if (
    spotExchange &&
    side === "SELL" &&
    heldLong > 0 &&
    rawQty > heldLong &&
    rawQty <= heldLong * (1 + BASE_COMMISSION_SLACK)
  ) {
    // The quantity bought, less the commission the exchange took in the base asset: what is held.
    pass(
      "spot_long",
      `SELL ${toDecimal(rawQty)} is the ${toDecimal(heldLong)} held plus at most a commission: sells what is held`,
    );
    rawQty = heldLong;
  }
  // A close on USD-M goes reduce-only, which Binance exempts from the notional minimum: a
  // position that lost value below it can still be closed. (A reduce is one no larger than held.)
  const reduceOnlyFutures = futuresExchange && (req.action === "CLOSE" || (against && rawQty <= held));
  // The exchange checks a LIMIT's tick and MIN_NOTIONAL at its own price, and so does sizing.
  const sizeAt = (qty: number, reduceOnly: boolean, whole: boolean) =>
    size(req.symbol, qty, limit ?? refPrice, limit !== undefined, cfg, exchangeFilters, {
      side,
      mid: (quote.bid + quote.ask) / 2,
      reduceOnlyFutures: reduceOnly,
      whole,
    });
  // A paper CLOSE sells exactly what is held (see `whole`).
  let sized = sizeAt(rawQty, reduceOnlyFutures, req.action === "CLOSE" && paper);
  if (!sized.ok) return reject(sized.source, "sizing", sized.reason);
  pass("sizing", `${sized.quantity} @ ${limit === undefined ? "~" : ""}${sized.price ?? refPrice}`);
  // A flip whose new side the exchange would not trade (under minQty or the minimum notional)
  // would leave a position that no order can close: the long (or short) is closed instead. (Spot
  // cannot flip: a SELL beyond the long is refused below.)
  if (against && !spotExchange && Number(sized.quantity) > held) {
    const opens = sizeAt(Number(sized.quantity) - held, false, false);
    const closes = opens.ok ? undefined : sizeAt(held, futuresExchange, paper);
    if (!opens.ok && closes?.ok) {
      pass(
        "flip",
        `${side} ${sized.quantity} against ${position?.quantity} would open ${round8(Number(sized.quantity) - held)}, which the exchange would not trade (${opens.reason}): closes the ${toDecimal(held)} held instead`,
      );
      sized = closes;
    }
  }
  const { quantity } = sized;
  const notional = Number(quantity) * refPrice;
  // Selling more than the long on spot would sell assets the engine never bought, and
  // reconciliation, reading the balance as the position, would book them as a long.
  if (spotExchange && side === "SELL" && Number(quantity) > heldLong)
    return reject(
      "validation",
      "spot_short",
      `spot_short_not_allowed: SELL ${quantity} ${req.symbol} is more than the ${toDecimal(heldLong)} held; spot cannot go short (a close sells what is held; BINANCE_MARKET=futures can go short)`,
    );
  const flips = against && Number(quantity) > held;
  const closing = req.action === "CLOSE" || (against && !flips);
  if (flips) {
    pass(
      "flip",
      `${side} ${quantity} against ${position?.quantity}: closes it and opens ${round8(Number(quantity) - held)}`,
    );
    const refused = entryGate();
    if (refused) return refused;
  } else if (against)
    pass(
      "entry_checks",
      `${side} ${quantity} reduces ${position?.quantity}: kill switch, whitelist, confidence and cooldown do not apply`,
    );
  if (!closing) {
    // What the order opens: all of it, or what is left once a flip has closed the position.
    const opened = flips ? (Number(quantity) - held) * refPrice : notional;
    if (spotExchange && req.leverage > 1)
      return reject(
        "validation",
        "leverage",
        `leverage_unsupported_on_spot: ${req.leverage}x asked; spot trades unleveraged, so the position would be ${req.leverage} times smaller than meant (BINANCE_MARKET=futures applies leverage)`,
      );
    if (req.leverage > cfg.MAX_LEVERAGE)
      return reject("risk", "leverage", `leverage_above_maximum: ${req.leverage} > ${cfg.MAX_LEVERAGE}`);
    // The position once filled: what is held the same way plus what the order opens.
    const heldNotional = flips ? 0 : held * refPrice;
    const positionNotional = heldNotional + opened;
    if (positionNotional > cfg.MAX_NOTIONAL_PER_POSITION)
      return reject(
        "risk",
        "notional",
        `position_notional_above_maximum: ${positionNotional.toFixed(2)} > ${cfg.MAX_NOTIONAL_PER_POSITION}`,
      );
    const resting = view.restingEntries ?? new Map<string, number>();
    const symbolNotional = heldNotional + (resting.get(req.symbol) ?? 0) + opened;
    if (symbolNotional > cfg.MAX_NOTIONAL_PER_SYMBOL)
      return reject(
        "risk",
        "notional",
        `symbol_notional_above_maximum: ${symbolNotional.toFixed(2)} > ${cfg.MAX_NOTIONAL_PER_SYMBOL}`,
      );
    const openSymbols = new Set([...resting.keys()]);
    for (const [symbol, p] of view.positions)
      if (
        p.quantity !== 0 &&
        !isDust(p.quantity, lotOf(symbol, p.avgPrice, cfg, exchangeFilters), p.avgPrice)
      )
        openSymbols.add(symbol);
    const open = openSymbols.size;
    if (!openSymbols.has(req.symbol) && open >= cfg.MAX_OPEN_POSITIONS)
      return reject(
        "risk",
        "open_positions",
        `max_open_positions: ${open} open (max ${cfg.MAX_OPEN_POSITIONS})`,
      );
    let exposure = opened;
    for (const [symbol, p] of view.positions)
      if (!(flips && symbol === req.symbol))
        exposure += Math.abs(p.quantity) * (view.markOf?.(symbol) ?? p.avgPrice);
    for (const n of resting.values()) exposure += n;
    if (exposure > cfg.MAX_PORTFOLIO_EXPOSURE)
      return reject(
        "risk",
        "exposure",
        `portfolio_exposure_above_maximum: ${exposure.toFixed(2)} > ${cfg.MAX_PORTFOLIO_EXPOSURE}`,
      );
    // Today's realized PnL, and what the open positions are under water now: ten positions each
    // losing $100 stop entries before their stops realize it. Their gains offset nothing.
    const underWater = unrealizedLosses(view.positions, view.lastMidOf ?? view.markOf ?? (() => undefined));
    if (-(view.dailyRealizedPnl + underWater) >= cfg.DAILY_LOSS_LIMIT)
      return reject(
        "risk",
        "daily_loss",
        `daily_loss_limit_reached: ${(view.dailyRealizedPnl + underWater).toFixed(2)} (realized today ${view.dailyRealizedPnl.toFixed(2)}, open positions under water ${underWater.toFixed(2)}; limit -${cfg.DAILY_LOSS_LIMIT})`,
      );
  }
  pass("risk");
  const order = { kind: "execute", side, quantity, refPrice, notional, closing } as const;
  return limit === undefined ? order : { ...order, limitPrice: sized.price ?? toDecimal(limit), timeInForce };
}

/**
 * How much more than the long a spot SELL may ask and still sell the long: the quantity bought, less
 * a commission taken in the base asset (Binance's spot rates are 0.1% at most).
 */
const BASE_COMMISSION_SLACK = 0.002;

type Sized =
  | { ok: true; quantity: string; price?: string }
  | { ok: false; source: RejectionSource; reason: string };

/**
 * Quantity rounded DOWN to the symbol's step, rejected below minQty or MIN_NOTIONAL (F24): with
 * the exchange's filters when known, else the paper stand-ins (step by price, MIN_NOTIONAL).
 */
function size(
  symbol: string,
  rawQty: number,
  refPrice: number,
  isLimit: boolean,
  cfg: Config,
  exchangeFilters: ReadonlyMap<string, SymbolFilters> | undefined,
  opts: {
    /** Whose limit price it is (rounded to the tick within it). */
    side: "BUY" | "SELL";
    /** The live mid: a LIMIT's PERCENT_PRICE band is checked around it (the exchange's average or mark price). */
    mid: number;
    reduceOnlyFutures: boolean;
    /** A paper CLOSE: with the stand-ins it sells exactly what is held (their step is a guess by price). */
    whole: boolean;
  },
): Sized {
  if (exchangeFilters !== undefined) {
    const filters = exchangeFilters.get(symbol);
    if (filters === undefined)
      return { ok: false, source: "validation", reason: `unknown_symbol: ${symbol} is not in exchangeInfo` };
    if (filters.status !== "TRADING") {
      return {
        ok: false,
        source: "validation",
        reason: `symbol_not_trading: ${symbol} is ${filters.status}`,
      };
    }
    const r = applyOrderFilters(filters, {
      type: isLimit ? "LIMIT" : "MARKET",
      quantity: numberToDecimal(rawQty),
      price: numberToDecimal(refPrice),
      reduceOnlyFutures: opts.reduceOnlyFutures,
      side: opts.side,
      reference: numberToDecimal(opts.mid),
    });
    if (!r.ok) return { ok: false, source: "sizing", reason: r.reason };
    return isLimit ? { ok: true, quantity: r.quantity, price: r.price } : { ok: true, quantity: r.quantity };
  }
  const quantity = opts.whole ? toDecimal(rawQty) : roundDownToStep(toDecimal(rawQty), stepFor(refPrice));
  const notional = Number(quantity) * refPrice;
  if (Number(quantity) <= 0 || notional < cfg.MIN_NOTIONAL) {
    return {
      ok: false,
      source: "sizing",
      reason: `below_min_notional: ${quantity} x ${refPrice} = ${notional.toFixed(2)} < ${cfg.MIN_NOTIONAL} after rounding down to the step`,
    };
  }
  return { ok: true, quantity };
}

const staleReason = (ageMs: number, maxAgeSeconds: number) =>
  `stale_signal: ${Math.round(ageMs / 1000)} s old (max ${maxAgeSeconds})`;

/** A decided order whose signal went stale before it went out (the decision waited on something). */
export function staleBeforeSent(timestampMs: number, maxAgeSeconds: number, now = Date.now()): string {
  return `${staleReason(now - timestampMs, maxAgeSeconds)} when its order was due to go out: not sent`;
}
