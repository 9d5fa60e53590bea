import type { SpotOrders, SymbolFilters } from "@tradewire/binance";
import type { Logger } from "@tradewire/logger";
import { clientOrderIdFor, type TradeEngine } from "../engine.js";
import type { EngineMetrics } from "../metrics.js";
import type { EngineStore } from "../store.js";

export interface ReconcileReport {
  openOrders: number;
  tracked: number;
  adopted: number;
  flagged: number;
  positionsChecked: number;
  corrected: number;
}

/** Quantities closer than this are the same position (exchange balances carry 8 decimals). */
const TOLERANCE = 1e-8;

/**
 * Compares the exchange with the engine's books (F28): open orders it recorded are tracked; open
 * orders carrying the client id of one of its undecided signals are adopted; any other open order
 * is flagged and left alone; a position whose exchange balance differs is corrected to the
 * exchange. Every adoption, flag and correction is logged at warn and counted. Assumes the spot
 * account trades only through Tradewire, so a base-asset balance is the position.
 */
export class Reconciler {
  constructor(
    private readonly deps: {
      orders: SpotOrders;
      store: EngineStore;
      engine: TradeEngine;
      metrics: EngineMetrics;
      log: Logger;
      mode: string;
      exchangeFilters?: ReadonlyMap<string, SymbolFilters>;
    },
  ) {}

  async run(): Promise<ReconcileReport> {
    const { orders, store, engine, metrics, log, mode } = this.deps;
    const report: ReconcileReport = {
      openOrders: 0,
      tracked: 0,
      adopted: 0,
      flagged: 0,
      positionsChecked: 0,
      corrected: 0,
    };
    const open = await orders.openOrders();
    report.openOrders = open.length;
    const undecided = new Map((await store.undecidedSignalIds()).map((id) => [clientOrderIdFor(id), id]));
    for (const o of open) {
      if (await store.hasOrder(o.clientOrderId)) {
        report.tracked += 1;
        continue;
      }
      const signalId = undecided.get(o.clientOrderId);
      const fields = {
        symbol: o.symbol,
        orderId: o.orderId,
        clientOrderId: o.clientOrderId,
        side: o.side,
        status: o.status,
      };
      if (signalId !== undefined) {
        await store.insertOrder({ ...o, signalId, quantity: o.origQty, mode });
        report.adopted += 1;
        log.warn("reconcile: open order adopted for its signal", { ...fields, signalId });
      } else {
        report.flagged += 1;
        log.warn("reconcile: unknown open order flagged, not touched", {
          ...fields,
          foreign: !o.clientOrderId.startsWith("tw-"),
        });
      }
    }
    const balances = new Map(
      (await orders.balances()).map((b) => [b.asset, Number(b.free) + Number(b.locked)]),
    );
    for (const [symbol, position] of Object.entries(engine.snapshot().positions)) {
      report.positionsChecked += 1;
      const asset =
        this.deps.exchangeFilters?.get(symbol)?.baseAsset ?? symbol.replace(/(USDT|BUSD|USDC|BTC|ETH)$/, "");
      const held = balances.get(asset) ?? 0;
      if (Math.abs(held - position.quantity) <= TOLERANCE) continue;
      await engine.correctPosition(symbol, held);
      report.corrected += 1;
      log.warn("reconcile: position drift corrected to the exchange", {
        symbol,
        asset,
        local: position.quantity,
        exchange: held,
      });
    }
    for (const outcome of ["tracked", "adopted", "flagged", "corrected"] as const) {
      if (report[outcome] > 0) metrics.reconciled.inc({ outcome }, report[outcome]);
    }
    log.info("reconciliation done", { ...report });
    return report;
  }
}
