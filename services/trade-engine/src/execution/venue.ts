import {
  BinanceError,
  roundDownToStep,
  roundToTick,
  type SymbolFilters,
  type TimeInForce,
  toDecimal,
} from "@tradewire/binance";
import type { OrderType } from "@tradewire/schemas";
import { z } from "zod";
import type { Protection } from "../protection.js";
import type { ExchangeOrders, NewOrder } from "./adapter.js";

/** Order statuses of an order still working on the exchange. */
export const WORKING: ReadonlySet<string> = new Set(["NEW", "PARTIALLY_FILLED", "PENDING_NEW"]);

/** An exchange order as the engine needs it, whichever market it is on. */
export interface VenueOrder {
  orderId: string;
  clientOrderId: string;
  status: string;
  executedQty: string;
  /** Average fill price; 0 when nothing executed. */
  avgPrice: number;
  /** Commission in the quote asset: what was paid in it, plus what was paid in the base asset at its trade price. */
  fee: number;
  feeAsset: string;
  /** Commission paid in the base asset (a spot BUY): the buyer holds `executedQty` less this. */
  baseFee: number;
  /** Commission paid in a third asset (BNB, for its discount), not in `fee`: priced by the engine. */
  otherFees: OtherFee[];
  /**
   * Why its fees could not be read (USD-M's trades lookup failed again when the order was looked
   * up): `fee` is 0 and none is left out silently; the engine records what executed, says so, and
   * reconciliation reads the fees later.
   */
  feesUnread?: string;
}

/** A commission paid in an asset that is neither the symbol's base nor its quote. */
export interface OtherFee {
  asset: string;
  amount: number;
}

interface Commission {
  price: string;
  commission: string;
  commissionAsset: string;
}

/** What an order's trades paid, in the quote asset where it can be priced (see VenueOrder). */
export function commissions(
  trades: readonly Commission[],
  assets: { base: string; quote: string },
): Pick<VenueOrder, "fee" | "feeAsset" | "baseFee" | "otherFees"> {
  let fee = 0;
  let baseFee = 0;
  const other = new Map<string, number>();
  for (const t of trades) {
    const amount = Number(t.commission);
    if (t.commissionAsset === assets.base) {
      baseFee += amount;
      fee += amount * Number(t.price);
    } else if (t.commissionAsset === assets.quote) fee += amount;
    else other.set(t.commissionAsset, (other.get(t.commissionAsset) ?? 0) + amount);
  }
  const otherFees = [...other].map(([asset, amount]) => ({ asset, amount }));
  return { fee, feeAsset: assets.quote, baseFee, otherFees };
}

/**
 * The exchange answered an order's POST, so it may well have taken the order, but the engine could
 * not read what it needs of it: the answer itself (a 2xx whose body is no order), or a call made
 * after it (USD-M's fee lookup). Never a rejection: the order is looked up by its client id and
 * adopted, or the submit fails and is retried with the same id, looked up first (F31).
 */
export class OrderTakenUnread extends Error {
  override readonly name = "OrderTakenUnread";
  constructor(
    readonly clientOrderId: string,
    /** What could not be read: "its answer" or "its fees". */
    readonly unread: "its answer" | "its fees",
    cause: unknown,
  ) {
    super(
      `order ${clientOrderId} was answered by the exchange, but ${unread} could not be read: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }

  /** The code of the failure underneath (IP_BANNED, INVALID_RESPONSE...), for logs. */
  get causeCode(): string {
    return this.cause instanceof BinanceError ? this.cause.code : "UNKNOWN";
  }
}

/**
 * An order's POST, with an answer that came back but does not parse (INVALID_RESPONSE on a 2xx)
 * turned into OrderTakenUnread: the exchange may have taken it. A refusal stays a refusal.
 */
export async function orderAnswer<T>(clientOrderId: string, post: Promise<T>): Promise<T> {
  try {
    return await post;
  } catch (error) {
    const answered =
      error instanceof BinanceError &&
      error.code === "INVALID_RESPONSE" &&
      (error.details.status === undefined || error.details.status < 400);
    if (answered) throw new OrderTakenUnread(clientOrderId, "its answer", error);
    throw error;
  }
}

/** Orders on one Binance market (spot or USD-M futures): MARKET, or LIMIT IOC/FOK/GTC. */
export interface OrderVenue extends ExchangeOrders {
  readonly market: "spot" | "futures";
  /**
   * Places the order and reads it (with its fees). Throws OrderTakenUnread when the exchange
   * answered the POST but the order could not be read: it may exist, so it is never a rejection.
   */
  submit(o: NewOrder): Promise<VenueOrder>;
  /** The exchange's answer to a reused client order id. */
  isDuplicate(error: BinanceError): boolean;
  /** The symbol's last price on this market; undefined when the market does not list it. */
  lastPrice(symbol: string): Promise<string | undefined>;
}

/** Stop-loss / take-profit resting on the exchange for one position, by client ids. */
export const VenueProtection = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("oco"),
    listClientOrderId: z.string(),
    stop: z.string(),
    takeProfit: z.string(),
  }),
  z.object({
    kind: z.literal("conditional"),
    stop: z.string().optional(),
    takeProfit: z.string().optional(),
  }),
]);
export type VenueProtection = z.output<typeof VenueProtection>;

/** A protective order the exchange executed: the position's exit. */
export interface VenueExit {
  reason: "stop_loss" | "take_profit";
  orderId: string;
  clientOrderId: string;
  type: OrderType;
  quantity: string;
  price: string;
  /** In the quote asset; `otherFees` (BNB) are priced by the engine. */
  fee: string;
  feeAsset: string;
  otherFees?: OtherFee[];
}

/**
 * What the exchange holds of a protection: its orders resting, one executed (the exit), or none left.
 * Gone with `neverPlaced`: the exchange knows none of its orders (and holds none that ended), so
 * they were never sent: their ids were stored first, then the process died or the placement
 * failed before the POST. Those levels go on the exchange again, unlike orders that ended
 * (canceled by hand, expired), which are left with the engine.
 */
export type ProtectionStatus =
  | { state: "open" }
  | { state: "gone"; neverPlaced?: true }
  | { state: "exited"; exit: VenueExit };

/** Exchange-side SL/TP: placed after an entry fills, polled, canceled before the engine closes. */
export interface ProtectiveOrders {
  /**
   * Places the levels for `quantity` of the position, or says why this market cannot. The orders'
   * client ids go to `beforeSend` before any is sent (they are stored there), so an order whose
   * answer is lost, or a crash right after sending, never leaves one resting untracked.
   */
  place(
    p: Protection,
    quantity: number,
    beforeSend: (v: VenueProtection) => Promise<void>,
  ): Promise<{ placed: VenueProtection } | { unsupported: string }>;
  status(p: Protection, v: VenueProtection): Promise<ProtectionStatus>;
  /** Cancels what still rests; "exited" when a leg had already executed. */
  cancel(p: Protection, v: VenueProtection): Promise<ProtectionStatus>;
}

export interface OpenOrder {
  symbol: string;
  orderId: string;
  clientOrderId: string;
  side: "BUY" | "SELL";
  type: string;
  status: string;
  origQty: string;
  executedQty: string;
  price: string;
}

export interface OpenConditionalOrder {
  symbol: string;
  clientOrderId: string;
  side: "BUY" | "SELL";
  type: string;
  quantity: string;
  triggerPrice: string;
}

/**
 * What the account is worth, as the exchange says it: spot, every balance (free and locked), which
 * the engine values; USD-M, the margin balance (wallet plus unrealized PnL) in USD.
 */
export type AccountHoldings =
  | { market: "spot"; balances: { asset: string; amount: number }[] }
  | { market: "futures"; marginBalance: number };

/** What reconciliation reads, and the start-up check that the account can trade as configured. */
export interface ExchangeAccount {
  /** Throws AccountNotTradable when the account cannot trade the way the engine would. */
  preflight(): Promise<void>;
  /** Open orders, of one symbol or of all. */
  openOrders(symbol?: string): Promise<OpenOrder[]>;
  /**
   * Conditional orders not yet triggered, where the market keeps them apart from the open orders
   * (USD-M's Algo Order API holds STOP_MARKET / TAKE_PROFIT_MARKET since 2025-12-09).
   */
  openConditionalOrders?(): Promise<OpenConditionalOrder[]>;
  /** Takes one of those off; false when it had ended already (triggered, or gone). */
  cancelConditionalOrder?(clientOrderId: string): Promise<boolean>;
  /**
   * What the account holds of each asked symbol (spot: its base asset's balance; futures: the signed
   * position amount), and on futures every other symbol it holds a position on.
   */
  holdings(symbols: readonly string[]): Promise<Map<string, number>>;
  /** What the account is worth (what `position_size_pct` sizes on). */
  worth(): Promise<AccountHoldings>;
  /**
   * An order's fees, read from its trades, where the order's answer does not carry them (USD-M):
   * what reconciliation reads for fills recorded with their fees unread (VenueOrder.feesUnread).
   */
  orderFees?(symbol: string, orderId: string): Promise<OrderFees>;
}

/**
 * What an order paid: in the quote asset (`fee`), and in other assets, priced by the engine; over
 * trades adding up to `quantity` (a read that misses some is not the order's whole fee).
 */
export type OrderFees = Pick<VenueOrder, "fee" | "feeAsset" | "otherFees"> & { quantity: string };

/** The exchange account is set up so that the engine must not trade on it; the start is refused. */
export class AccountNotTradable extends Error {
  override readonly name = "AccountNotTradable";
}

/** The base asset of a symbol: from exchangeInfo when known, else the symbol minus its quote. */
export function baseAssetOf(symbol: string, filters?: SymbolFilters): string {
  return filters?.baseAsset ?? symbol.replace(/(USDT|BUSD|USDC|FDUSD|BTC|ETH)$/, "");
}

/** The symbol's base and quote assets: from exchangeInfo when known, else split at a known quote. */
export function assetsOf(symbol: string, filters?: SymbolFilters): { base: string; quote: string } {
  const base = baseAssetOf(symbol, filters);
  return { base, quote: symbol.slice(base.length) };
}

/** A protective price on the symbol's tick (when known), written as Binance expects it. */
export function priceFor(price: number, filters?: SymbolFilters): string {
  return filters ? roundToTick(toDecimal(price), filters.tickSize) : toDecimal(price);
}

/** A protective quantity rounded DOWN to the symbol's step (when known): never more than is held. */
export function quantityFor(quantity: number, filters?: SymbolFilters): string {
  return filters ? roundDownToStep(toDecimal(quantity), filters.stepSize) : toDecimal(quantity);
}

/** The LIMIT terms an exchange order is sent with (GTC unless said); undefined for a MARKET. */
export function exchangeLimit(o: NewOrder): { price: string; timeInForce: TimeInForce } | undefined {
  if (o.limitPrice === undefined) return undefined;
  return { price: o.limitPrice, timeInForce: o.timeInForce ?? "GTC" };
}
