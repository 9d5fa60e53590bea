import type { Logger } from "@tradewire/logger";
import type { TradeEngine } from "../engine.js";
import { clientOrderIdFor, isOwnClientOrderId } from "../ids.js";
import { LateFees } from "../late-fees.js";
import type { EngineMetrics } from "../metrics.js";
import type { EngineStore } from "../store.js";
import type { ExchangeAccount, OpenConditionalOrder } from "./venue.js";

export interface ReconcileReport {
  openOrders: number;
  tracked: number;
  /** Legs of the engine's own exchange-side stop-loss / take-profit. */
  protective: number;
  adopted: number;
  flagged: number;
  /** The engine's own conditional orders that guarded nothing, on a symbol without a position: taken off. */
  canceled: number;
  positionsChecked: number;
  corrected: number;
  /** Orders whose fees, unread when their fills were recorded, were read and recorded now. */
  feesRead: number;
}

/** Quantities closer than this are the same position (exchange balances carry 8 decimals). */
const TOLERANCE = 1e-8;

/**
 * Compares the exchange with the engine's books (F28): decisions a stop cut short after their
 * order went out are resumed (their fill recorded); open orders it recorded are tracked; open
 * orders carrying the client id of one of its undecided signals are adopted; any other open order
 * is flagged and left alone, except a USD-M conditional order of the engine's own that guards
 * nothing where no position is open, which is canceled (see staleOwn); a position whose exchange
 * balance differs is corrected to the exchange; fees left unread are read (late-fees.ts). Every
 * adoption, flag, cancel and correction is logged at warn and counted. Assumes the account
 * trades only through Tradewire, so a spot base-asset balance (or a futures position amount) is
 * the position.
 */
export class Reconciler {
  /** USD-M fills recorded with their fees unread (see late-fees.ts); none on spot, whose answers carry them. */
  private readonly lateFees: LateFees | undefined;

  constructor(
    private readonly deps: {
      account: ExchangeAccount;
      store: EngineStore;
      engine: TradeEngine;
      metrics: EngineMetrics;
      log: Logger;
      mode: string;
    },
  ) {
    const { account, store, engine, metrics, log } = deps;
    const read = account.orderFees?.bind(account);
    this.lateFees =
      read &&
      new LateFees({ store, read, record: (order, fees) => engine.amendFees(order, fees), metrics, log });
  }

  /**
   * Of the conditional orders no protection knows, those carrying the engine's own client ids on a
   * symbol where the exchange holds no position, canceled: left from a placement whose answer was
   * lost and that was placed again, or from legs a cancel missed. With nothing to guard, a
   * reduce-only stop only ever acts on a later position, which it was never placed for. One on a
   * symbol holding a position is left, flagged: it may be all that guards it. Returns, by id, whether
   * each cancel took it off (false: it had ended already); one whose cancel failed is not in it.
   */
  private async staleOwn(unknown: readonly OpenConditionalOrder[]): Promise<Map<string, boolean>> {
    const { account, log } = this.deps;
    const own = unknown.filter((o) => isOwnClientOrderId(o.clientOrderId));
    const cancel = account.cancelConditionalOrder?.bind(account);
    const outcomes = new Map<string, boolean>();
    if (own.length === 0 || cancel === undefined) return outcomes;
    const held = await account.holdings([...new Set(own.map((o) => o.symbol))]);
    for (const o of own) {
      if (Math.abs(held.get(o.symbol) ?? 0) > TOLERANCE) continue;
      try {
        outcomes.set(o.clientOrderId, await cancel(o.clientOrderId));
      } catch (error) {
        log.warn(
          "reconcile: a stale conditional order of the engine's own could not be canceled; tried again next round",
          {
            ...o,
            err: error,
          },
        );
      }
    }
    return outcomes;
  }

  async run(): Promise<ReconcileReport> {
    const { account, store, engine, metrics, log, mode } = this.deps;
    const report: ReconcileReport = {
      openOrders: 0,
      tracked: 0,
      protective: 0,
      adopted: 0,
      flagged: 0,
      canceled: 0,
      positionsChecked: 0,
      corrected: 0,
      feesRead: 0,
    };
    // First, and on its own: a failure elsewhere in the round must not keep fees unread.
    report.feesRead =
      (await this.lateFees?.run().catch((error: unknown) => {
        log.error("reconcile: fees read late could not be recorded; tried again next round", { err: error });
        return 0;
      })) ?? 0;
    // An exit the exchange executed is recorded first: compared before, it would be drift, and
    // recorded after the correction, a second close (a phantom position the other way).
    const unpolled = await engine.pollExchangeProtections();
    const open = await account.openOrders();
    const protective = engine.protectiveClientIds();
    report.openOrders = open.length;
    const claims = await store.undecidedSignals();
    // What a decision cut short after its POST executed is recorded at its own price, with its
    // levels, not corrected as drift at the mid (its symbol is left alone below meanwhile).
    await engine.resumeCutShort(claims);
    const undecided = new Map(claims.map((c) => [clientOrderIdFor(c.id), c]));
    // A decision under way or cut short (resumed on redelivery) may have executed unrecorded: its
    // resume records the fill, so correcting to the exchange first would count it twice.
    const deciding = new Set(claims.filter((c) => c.recent).map((c) => c.symbol));
    for (const o of open) {
      if (protective.has(o.clientOrderId)) {
        report.protective += 1;
        continue;
      }
      if (await store.hasOrder(o.clientOrderId)) {
        report.tracked += 1;
        continue;
      }
      const claim = undecided.get(o.clientOrderId);
      const fields = {
        symbol: o.symbol,
        orderId: o.orderId,
        clientOrderId: o.clientOrderId,
        side: o.side,
        status: o.status,
      };
      if (claim !== undefined) {
        // Open on the exchange: working (PENDING_NEW and the like are NEW to the engine).
        const status = o.status === "PARTIALLY_FILLED" ? "PARTIALLY_FILLED" : "NEW";
        const { id: signalId, reduce } = claim;
        await store.insertOrder({ ...o, signalId, quantity: o.origQty, mode, status, reduceOnly: reduce });
        report.adopted += 1;
        log.warn("reconcile: open order adopted for its signal", { ...fields, signalId, reduceOnly: reduce });
      } else {
        report.flagged += 1;
        log.warn("reconcile: unknown open order flagged, not touched", {
          ...fields,
          foreign: !isOwnClientOrderId(o.clientOrderId),
        });
      }
    }
    // Stop-loss / take-profit legs (USD-M keeps them apart): ours are known, any other is flagged.
    // A reduce-only stop nobody follows could close a later position unrecorded.
    const conditional = (await account.openConditionalOrders?.()) ?? [];
    // Read after the orders: one being placed now is known by then (its ids are kept before it is sent).
    const guarding = engine.protectiveClientIds();
    const unknown = conditional.filter((o) => !guarding.has(o.clientOrderId));
    report.openOrders += conditional.length;
    report.protective += conditional.length - unknown.length;
    const stale = await this.staleOwn(unknown);
    for (const o of unknown) {
      const canceled = stale.get(o.clientOrderId);
      if (canceled === true) {
        report.canceled += 1;
        log.warn(
          "reconcile: the engine's own conditional order guards nothing and no position is open on its symbol; canceled, as it would close a later one",
          { ...o },
        );
        continue;
      }
      if (canceled === false) {
        // Triggered (or gone) between the two reads: what it executed shows as drift below.
        log.error(
          "reconcile: a stale conditional order of the engine's own ended before it could be canceled: it may have executed; the position is compared with the exchange",
          { ...o },
        );
        continue;
      }
      report.flagged += 1;
      log.warn("reconcile: unknown open conditional order flagged, not touched", {
        ...o,
        foreign: !isOwnClientOrderId(o.clientOrderId),
      });
    }
    if (report.adopted > 0) await engine.followAdopted();
    const known = engine.snapshot().positions;
    const held = await account.holdings(Object.keys(known));
    // What a working order executed shows in the holdings before the order poll records it as a
    // fill: correcting to it now would count that fill twice.
    const working = new Set(engine.restingOrders().map((o) => o.req.symbol));
    // The engine's symbols, and any other the exchange reports a position on (USD-M lists them all).
    for (const symbol of new Set([...Object.keys(known), ...held.keys()])) {
      const position = known[symbol] ?? { quantity: 0 };
      report.positionsChecked += 1;
      const exchange = held.get(symbol) ?? 0;
      if (Math.abs(exchange - position.quantity) <= TOLERANCE) continue;
      if (unpolled.has(symbol)) {
        // Its exchange stop may have executed unrecorded: corrected now, it would be recorded twice.
        log.warn(
          "reconcile: position differs from the exchange, and its protection could not be polled; left alone",
          {
            symbol,
            local: position.quantity,
            exchange,
          },
        );
        continue;
      }
      if (working.has(symbol) || deciding.has(symbol)) {
        log.warn(
          working.has(symbol)
            ? "reconcile: position differs from the exchange while orders work on it; left to the order poll"
            : "reconcile: position differs from the exchange while a signal on it is undecided; left to its decision",
          { symbol, local: position.quantity, exchange },
        );
        continue;
      }
      // Only if the books still hold what was compared: a fill recorded meanwhile is not overwritten.
      const corrected = await engine.correctPosition(symbol, exchange, position.quantity);
      if (corrected === undefined) {
        log.info("reconcile: position changed while it was compared; checked again next round", { symbol });
        continue;
      }
      const { avgPrice, realized } = corrected;
      report.corrected += 1;
      log.warn("reconcile: position drift corrected to the exchange", {
        symbol,
        local: position.quantity,
        exchange,
        avgPrice,
        realized,
      });
      if (exchange !== 0 && avgPrice === 0)
        log.error(
          "reconcile: corrected position has no price (no live quote): its PnL is wrong until it is closed",
          {
            symbol,
            quantity: exchange,
          },
        );
    }
    for (const outcome of ["tracked", "adopted", "flagged", "canceled", "corrected"] as const) {
      if (report[outcome] > 0) metrics.reconciled.inc({ outcome }, report[outcome]);
    }
    log.info("reconciliation done", { ...report });
    return report;
  }
}
