import { type SymbolFilters, toDecimal } from "@tradewire/binance";
import type { Bus } from "@tradewire/bus";
import type { Logger } from "@tradewire/logger";
import {
  type KillSwitchCommand,
  type OrderEventKind,
  parseOrThrow,
  type RejectionSource,
} from "@tradewire/schemas";
import { backoffCeiling } from "@tradewire/supervisor";
import type { AccountEquity, EquityReading } from "./account-equity.js";
import { BatchConflict, BatchWriter, OneByOne } from "./batch-writer.js";
import type { Config } from "./config.js";
import { type Check, type Decision, decide, staleBeforeSent } from "./decide.js";
import { DeferredLog } from "./deferred-log.js";
import { DirectStore } from "./direct-store.js";
import { isDust, lotOf } from "./dust.js";
import { ExchangeOrderBook } from "./exchange-book.js";
import { ExchangeProtection } from "./exchange-protection.js";
import type { ExecutionAdapter } from "./execution/adapter.js";
import type { OrderFees } from "./execution/venue.js";
import { clientOrderIdFor, isOwnClientOrderId } from "./ids.js";
import { type Amended, amendFees, type UnreadFees } from "./late-fees.js";
import { Ledger } from "./ledger.js";
import { PaperLimitBook } from "./limit-book.js";
import type { EngineMetrics } from "./metrics.js";
import {
  type OrderFill,
  type OutgoingOrderEvent,
  oneShotEvents,
  orderEvent,
  type Unit,
} from "./order-events.js";
import { EventOutbox, type OutboxWrite } from "./outbox.js";
import { opposes } from "./paper.js";
import type { PriceBook } from "./prices.js";
import { ProtectionWatch } from "./protection-watch.js";
import { lifecycleOf, type OrderRequest, StoredRequest } from "./request.js";
import { marketable, type RestingOrder } from "./resting.js";
import { referenceQuote, resumedDecision, type SentDecision, sentDecision } from "./sent-decision.js";
import type { EngineStore, UndecidedSignal } from "./store.js";

export { clientOrderIdFor } from "./ids.js";

export interface EngineDeps {
  cfg: Config;
  bus: Bus;
  store: EngineStore;
  prices: PriceBook;
  log: Logger;
  metrics: EngineMetrics;
  adapter: ExecutionAdapter;
  exchangeFilters?: ReadonlyMap<string, SymbolFilters>;
  /** Told of every order the exchange took (filled or working), by client id: the stream owes its report. */
  onExchangeOrder?: (clientOrderId: string) => void;
  /** testnet/live: the exchange account's equity as last read; paper sizes on the ledger's. */
  accountEquity?: AccountEquity;
}

/** How often a kill switch that could not be stored is tried again. */
const KILL_SWITCH_SAVE_RETRY_MS = 5_000;
/** How long a shutdown waits for the order events still being published (within its step's deadline). */
const OUTBOX_DRAIN_MS = 5_000;

export type Outcome = "done" | "busy";
/**
 * How an executable decision ended: filled now, placed (resting in the paper book or working on the
 * exchange), or refused by the venue.
 */
type Executed = "filled" | "placed" | "rejected";
/** A paper batch after its commit: the outcomes, and the order events still to publish. */
interface Committed {
  outcomes: Outcome[];
  outbox: OutboxWrite;
}
export interface Incoming {
  req: OrderRequest;
  receivedAt: number;
}

/**
 * Runs order requests through dedup, the decision pipeline, execution and persistence, one at a
 * time: whichever consumer or task asks (signals, intents, stop-loss exits, resting LIMIT fills,
 * reconciliation corrections), the risk state is never read by one while another changes it.
 */
export class TradeEngine {
  /**
   * Signals this replica claimed whose decision threw before it was persisted, and when it first
   * did: resumed at once, their orders sent again only after ORDER_RESEND_AFTER_MS.
   */
  private readonly failedClaims = new Map<string, number>();
  killSwitch = false;
  /** A rolled-back batch left the in-memory state ahead of the database and reloading it failed. */
  private dirty = false;
  /** The kill switch as set here when storing it failed: it wins over the stored one until stored. */
  private unsavedKillSwitch: { enabled: boolean; reason: string; actor: string; at: string } | undefined;
  private killSwitchSaveNotBefore = 0;
  /** Counts every change of the kill switch here, so a sync never overwrites one made while it read. */
  private killSwitchChanges = 0;
  /** The last reload's failure, and when the next may be tried. */
  private reloadFailure: { error: Error; attempts: number; notBefore: number } | undefined;
  private turn: Promise<unknown> = Promise.resolve();
  /** The `alive` of every batch waiting for or holding the lock (see beat). */
  private readonly waiting = new Set<() => void>();
  private readonly direct: Unit & { store: DirectStore };
  private readonly ledger: Ledger;
  private readonly book: PaperLimitBook;
  /** GTC LIMIT orders working on the exchange; none in paper. */
  private readonly exchangeBook: ExchangeOrderBook | undefined;
  private readonly watch: ProtectionWatch;
  private readonly outbox: EventOutbox;

  constructor(private readonly deps: EngineDeps) {
    const { cfg, store, prices, log, metrics, adapter } = deps;
    this.outbox = new EventOutbox({
      store,
      bus: deps.bus,
      log,
      republished: metrics.outboxRepublished,
      orders: metrics.orders,
    });
    this.direct = { store: new DirectStore(store, this.outbox), log, onStored: (count) => count() };
    const exchangeProtection = new ExchangeProtection(adapter.protective, log);
    const exchangePrice = adapter.lastPrice?.bind(adapter);
    this.ledger = new Ledger({
      cfg,
      store,
      prices,
      log,
      metrics,
      exchangeProtection,
      exchangePrice,
      closeWorking: (symbol) => this.exchangeBook?.closeWorking(symbol) ?? false,
      isDust: (symbol, quantity, price) =>
        isDust(quantity, lotOf(symbol, price, cfg, deps.exchangeFilters), price),
    });
    // The equity gauge shows what position_size_pct sizes on (see equity()); app.ts reads an account
    // outside paper only.
    const account = deps.accountEquity;
    const ledger = this.ledger;
    metrics.equitySource.read = account ? () => account.latest() : () => ledger.equity();
    if (account !== undefined) metrics.accountReadAgeSource.read = () => account.ageSeconds();
    const shared = { cfg, store, prices, log, metrics, ledger: this.ledger, direct: this.direct };
    this.book = new PaperLimitBook(shared);
    this.exchangeBook =
      adapter.resting &&
      new ExchangeOrderBook({
        ...shared,
        orders: adapter.resting,
        stale: (why) => {
          this.dirty = true;
          log.warn("engine state behind the database; reloaded before the next decision", { why });
        },
      });
    this.watch = new ProtectionWatch({
      ...shared,
      exchangeProtection,
      runExit: (req, now) => this.handleIn(this.direct, req, now),
    });
  }

  /** Runs `work` after everything queued before it; its result or error goes to the caller. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    // The queue only needs to know it finished; the caller gets the error through `run`.
    this.turn = run.then(
      () => this.beat(),
      () => this.beat(),
    );
    return run;
  }

  /**
   * Tells every batch waiting for or holding the lock that the engine moves (a piece of work ended,
   * a request was decided): a consumer queued behind another's long batch is slow, not stalled.
   */
  private beat(): void {
    for (const alive of this.waiting) alive();
  }

  private event(
    kind: OrderEventKind,
    req: OrderRequest,
    fields: Record<string, unknown>,
  ): OutgoingOrderEvent {
    return orderEvent(this.deps.cfg.TRADING_MODE, kind, req, fields);
  }

  async load(): Promise<void> {
    await this.ledger.load();
    await this.book.load();
    await this.exchangeBook?.load();
    const killSwitch = await this.loadKillSwitch();
    this.killSwitch = killSwitch?.enabled ?? false;
    // Entries still working under a kill switch (a cancel owed when the process stopped): owed again.
    if (this.killSwitch)
      this.exchangeBook?.oweEntryCancels(`kill_switch_active: ${killSwitch?.reason ?? "on"}`);
  }

  /**
   * The kill switch as stored; one set here that could not be stored wins, and is stored now
   * (a reload must never turn off a switch an operator turned on).
   */
  private async loadKillSwitch(): Promise<{ enabled: boolean; reason?: string } | undefined> {
    const unsaved = this.unsavedKillSwitch;
    if (unsaved === undefined)
      return this.deps.store.getState<{ enabled: boolean; reason?: string }>("kill_switch");
    await this.retrySavingKillSwitch();
    return this.unsavedKillSwitch ?? unsaved;
  }

  /** Tries again, every 5 s at most, to store a kill switch that could not be stored; never fails the work. */
  private async retrySavingKillSwitch(now = Date.now()): Promise<void> {
    if (this.unsavedKillSwitch === undefined || now < this.killSwitchSaveNotBefore) return;
    try {
      await this.saveKillSwitch();
    } catch (error) {
      this.killSwitchSaveNotBefore = now + KILL_SWITCH_SAVE_RETRY_MS;
      this.deps.log.error("kill switch still not stored; tried again shortly", {
        retryInMs: KILL_SWITCH_SAVE_RETRY_MS,
        err: error,
      });
    }
  }

  /** Stores a kill switch set here that could not be stored when it was set. */
  private async saveKillSwitch(): Promise<void> {
    const unsaved = this.unsavedKillSwitch;
    if (unsaved === undefined) return;
    await this.storeKillSwitch(unsaved);
    this.deps.log.info("kill switch stored after all", { enabled: unsaved.enabled, reason: unsaved.reason });
  }

  /** Writes the kill switch row; it is no longer owed unless a newer state was set meanwhile. */
  private async storeKillSwitch(state: NonNullable<TradeEngine["unsavedKillSwitch"]>): Promise<void> {
    await this.deps.store.setState("kill_switch", state);
    if (this.unsavedKillSwitch === state) this.unsavedKillSwitch = undefined;
  }

  /**
   * ON also cancels resting LIMIT entries: nothing placed before it may open a position after it.
   * It holds in this process at once, even when it cannot be stored (then said at error, and the
   * caller gets the error); entries whose cancel fails are canceled again (see fillRestingOrders).
   */
  async setKillSwitch(enabled: boolean, reason: string, actor: string): Promise<void> {
    const { log } = this.deps;
    this.killSwitch = enabled;
    this.killSwitchChanges += 1;
    log.warn(enabled ? "kill switch ON: new entries rejected, closes allowed" : "kill switch OFF", {
      reason,
      actor,
    });
    const state = { enabled, reason, actor, at: new Date().toISOString() };
    this.unsavedKillSwitch = state;
    const done = await Promise.allSettled([
      this.storeKillSwitch(state).catch((error: unknown) => {
        log.error(
          "kill switch not stored: it holds in this process, and is stored once the database answers",
          {
            enabled,
            err: error,
          },
        );
        throw error;
      }),
      enabled
        ? this.exclusive(() => this.cancelEntries(reason)).catch((error) => {
            log.error("kill switch: canceling resting entries failed; tried again at the next check", {
              err: error,
            });
            throw error;
          })
        : Promise.resolve(),
    ]);
    const failed = done.flatMap((d) => (d.status === "rejected" ? [d.reason as unknown] : []));
    if (failed.length === 1) throw failed[0];
    if (failed.length > 1) {
      const why = failed.map((e) => (e instanceof Error ? e.message : String(e))).join("; ");
      throw new AggregateError(failed, `kill switch: storing it and canceling entries failed: ${why}`);
    }
  }

  /**
   * Applies the latest kill switch command the control stream kept, if it came after the state
   * stored here: it was sent while this engine was down (core NATS reached nobody).
   */
  async catchUpKillSwitch(command: KillSwitchCommand, sentAtMs: number): Promise<void> {
    if (command.enabled === this.killSwitch) return;
    const stored = await this.deps.store.getState<{ at?: string }>("kill_switch");
    if (stored?.at !== undefined && Date.parse(stored.at) >= sentAtMs) return;
    this.deps.log.warn("kill switch command sent while the engine was down: applied now", {
      enabled: command.enabled,
      sentAt: new Date(sentAtMs).toISOString(),
    });
    await this.setKillSwitch(command.enabled, command.reason, command.actor ?? "nats");
  }

  /**
   * Brings this replica's kill switch to the stored one when they differ, and applies a command the
   * control stream kept that nobody stored: commands missed while NATS was away (a reconnect, another
   * replica's POST meanwhile) are caught up without a restart. Core NATS delivers each at most once.
   */
  async syncKillSwitch(
    lastKept: () => Promise<{ data: KillSwitchCommand; storedAtMs: number } | undefined>,
  ): Promise<void> {
    const changes = this.killSwitchChanges;
    if (this.unsavedKillSwitch !== undefined) return;
    const stored = await this.deps.store.getState<{ enabled: boolean; reason?: string }>("kill_switch");
    // Set here meanwhile: that is the newer word.
    if (changes !== this.killSwitchChanges || this.unsavedKillSwitch !== undefined) return;
    if (stored !== undefined && stored.enabled !== this.killSwitch) {
      this.deps.log.warn(
        "kill switch differs from the stored one (a command missed while NATS was away): applied",
        {
          enabled: stored.enabled,
          reason: stored.reason,
        },
      );
      await this.setKillSwitch(stored.enabled, stored.reason ?? "caught up from the stored state", "sync");
      return;
    }
    const kept = await lastKept();
    if (kept !== undefined && changes === this.killSwitchChanges)
      await this.catchUpKillSwitch(kept.data, kept.storedAtMs);
  }

  /**
   * A kill switch command from NATS. One that changes nothing (this replica's own HTTP command coming
   * back, a repeat) is said at info and not applied again.
   */
  async applyKillSwitchCommand(command: KillSwitchCommand): Promise<void> {
    if (command.enabled === this.killSwitch) {
      this.deps.log.info("kill switch command changes nothing here", {
        enabled: command.enabled,
        actor: command.actor,
      });
      return;
    }
    await this.setKillSwitch(command.enabled, command.reason, command.actor ?? "nats");
  }

  private async cancelEntries(reason: string): Promise<void> {
    await this.book.cancelEntries(`kill_switch_active: ${reason}`);
    await this.exchangeBook?.cancelEntries(`kill_switch_active: ${reason}`);
  }

  /**
   * Cancels a resting LIMIT, in the paper book or on the exchange (HTTP); false when no such order is
   * resting. On the books: a cancel the exchange made but that could not be recorded leaves them stale,
   * so they reload (the order found working again, and its cancel recorded by the order poll).
   */
  cancelOrder(clientOrderId: string, reason: string): Promise<boolean> {
    return this.onBooks(
      async () =>
        (await this.book.cancelById(clientOrderId, reason)) ||
        ((await this.exchangeBook?.cancelById(clientOrderId, reason)) ?? false),
    );
  }

  restingOrders(): RestingOrder[] {
    return [...this.book.list(), ...(this.exchangeBook?.list() ?? [])];
  }

  /** Notional of resting entries per symbol, paper book and exchange together. */
  private restingEntries(): Map<string, number> {
    const total = this.book.entriesNotional();
    for (const [symbol, notional] of this.exchangeBook?.entriesNotional() ?? [])
      total.set(symbol, (total.get(symbol) ?? 0) + notional);
    return total;
  }

  /**
   * Asks the exchange about the orders working there (outside the lock: decisions go on
   * meanwhile): every one (`only` undefined), or just those the user data stream named; then
   * records what executed or ended.
   */
  async pollExchangeOrders(only?: ReadonlySet<string>): Promise<void> {
    const book = this.exchangeBook;
    if (book === undefined) return;
    // A decision in progress may be placing an order the stream already reported: let it finish,
    // so the order is tracked before the look.
    await this.exclusive(async () => {});
    const { seen, errors } =
      only === undefined ? await book.look() : { seen: await book.lookAt(only), errors: [] };
    if (seen.length > 0) await this.onBooks(() => book.apply(seen));
    if (errors.length > 0)
      throw new AggregateError(
        errors,
        `${errors.length} exchange order lookup(s) failed; the others were recorded`,
      );
  }

  /**
   * Work on the books under the lock, after a reload when they are stale. A failure marks them
   * stale: it may have come after a durable write (a fill stored, its protection not).
   */
  private onBooks<T>(work: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const failed = this.dirty ? await this.reload() : undefined;
      if (failed) throw failed;
      await this.retrySavingKillSwitch();
      try {
        return await work();
      } catch (error) {
        this.dirty = true;
        throw error;
      }
    });
  }

  /**
   * Fills every resting paper LIMIT the live quote has reached, at its own price with the fee (a
   * maker fill); a quote older than PRICE_MAX_AGE_MS fills nothing.
   */
  fillRestingOrders(now = Date.now()): Promise<void> {
    return this.onBooks(async () => {
      // No paper entry fills under the kill switch: one whose cancel failed (or that rested
      // across a restart) is canceled here first.
      if (this.killSwitch) await this.book.cancelEntries("kill_switch_active");
      await this.book.fillCrossed(now);
    });
  }

  /** Sends a CLOSE through the pipeline for every engine-held stop-loss or take-profit the market crossed (F25). */
  checkProtections(now = Date.now()): Promise<void> {
    return this.onBooks(() => this.watch.checkLevels(now));
  }

  /**
   * Decisions a stop cut short after their order reached the exchange (claimed, sent, never
   * decided, nobody renewing the lease, claimed in the last 15 minutes) are resumed from their
   * stored request: the claim is taken over, the order found by client id is recorded at its own
   * price and fee, with its levels. A redelivery does the same for a signal, and the claim lets
   * only one of them resume it; but nothing redelivers an engine exit whose level is not crossed
   * again, nor a message dead-lettered meanwhile, and what executed stayed unrecorded and
   * unguarded until reconciliation corrected it as drift at the mid. An order the exchange never
   * took is left to its redelivery (or its level), decided then on a live quote. A failure is
   * said at error and tried again at the next reconciliation.
   */
  async resumeCutShort(claims: readonly UndecidedSignal[]): Promise<void> {
    const { log } = this.deps;
    const orders = this.deps.adapter.resting;
    if (orders === undefined) return;
    for (const { id, symbol, cutShortRequest } of claims) {
      if (cutShortRequest === undefined) continue;
      try {
        const req = parseOrThrow(StoredRequest, `engine_signals.request (${id})`, cutShortRequest);
        if ((await orders.find(req.symbol, clientOrderIdFor(req.id))) === undefined) {
          log.info("decision cut short before its order reached the exchange: left to its redelivery", {
            ...lifecycleOf(req),
            action: req.action,
          });
          continue;
        }
        log.warn("decision cut short after its order reached the exchange: resumed", {
          ...lifecycleOf(req),
          action: req.action,
          requestedAt: new Date(req.timestampMs).toISOString(),
        });
        // One at a time on the books: a failure marks them stale, reloaded before the next.
        await this.onBooks(() => this.handleIn(this.direct, req, Date.now()));
      } catch (error) {
        log.error("resuming a decision cut short failed; tried again at the next reconciliation", {
          signalId: id,
          symbol,
          err: error,
        });
      }
    }
  }

  /**
   * Asks the exchange about the protections it holds; an executed leg is recorded as the exit.
   * Returns the symbols whose poll failed (said at error; the books are reloaded before the next
   * decision, as a failure may have come after a write).
   */
  async pollExchangeProtections(): Promise<Set<string>> {
    const failed = await this.onBooks(() => this.watch.pollExchange());
    if (failed.size > 0) this.dirty = true;
    return failed;
  }

  /** Publishes stored order events left behind longer than `graceMs`; see EventOutbox. */
  sweepOutbox(graceMs: number): Promise<void> {
    return this.outbox.sweep(graceMs);
  }

  /**
   * At shutdown: the events queued for publishing go out (5 s at most), then the outbox rows of
   * those published go (see EventOutbox.deletePublished).
   */
  async flushOutbox(): Promise<void> {
    if (!(await this.outbox.drain(OUTBOX_DRAIN_MS)))
      this.deps.log.warn("order events still being published at shutdown: the next start sends them", {
        waitedMs: OUTBOX_DRAIN_MS,
      });
    await this.outbox.deletePublished();
  }

  /**
   * Which exchange poll a user data stream's order update concerns: a working GTC's, or the
   * exchange-held stop-loss / take-profit of the symbol (a triggered conditional order may carry an
   * id of its own). Anything else (the engine's own market orders, orders placed by hand) is none.
   */
  pollFor(update: { symbol: string; clientOrderId: string }): "orders" | "protections" | undefined {
    const id = update.clientOrderId;
    if (this.exchangeBook === undefined) return undefined;
    if (this.exchangeBook.has(id)) return "orders";
    if (this.protectiveClientIds().has(id)) return "protections";
    // One of the engine's own orders it does not track yet: its fill may beat the placement's
    // answer, so the order poll looks once the placement is through (see pollExchangeOrders). A
    // market order it never tracks costs that look no request.
    if (isOwnClientOrderId(id)) return "orders";
    // Someone else's id on a symbol guarded on the exchange: maybe the order a triggered
    // conditional placed under an id of the exchange's.
    if (this.ledger.protections.get(update.symbol)?.venue !== undefined) return "protections";
    return undefined;
  }

  /** Client ids of the exchange orders guarding positions (reconciliation knows them). */
  protectiveClientIds(): Set<string> {
    return ExchangeProtection.clientIds(this.ledger.protections.values());
  }

  /**
   * Orders reconciliation adopted (stored for their undecided signals) are followed from now on like
   * any order the engine placed: polled, their fills recorded. Without this, one that filled before
   * its signal's redelivery looked it up had its fill dropped as "recorded already".
   */
  followAdopted(): Promise<void> {
    return this.exclusive(async () => {
      await this.exchangeBook?.load();
      // Placed by its strategy's signal: its cooldown runs, as a restart would read it.
      await this.ledger.loadCooldowns();
    });
  }

  /**
   * Sets a position's quantity to what the exchange holds (reconciliation), in memory and stored,
   * if the books still hold `compared` (a fill recorded meanwhile is not overwritten); what it gained
   * is priced at the live mid, what it lost realized there (see Ledger.correctPosition). Returns its
   * average price and what was realized; undefined when not corrected.
   */
  correctPosition(
    symbol: string,
    quantity: number,
    compared: number,
  ): Promise<{ avgPrice: number; realized: number } | undefined> {
    return this.onBooks(async () => {
      if (Math.abs(this.ledger.positionQuantity(symbol) - compared) > 1e-8) return undefined;
      return this.ledger.correctPosition(this.direct, symbol, quantity, this.markPrice(symbol));
    });
  }

  /**
   * Records the fees of an order read late (its fills were recorded with them unread, see
   * late-fees.ts): what was paid in other assets priced like any fill's (before the lock: it may ask
   * the exchange), then added under the lock. The books are read again when the PnL moved; a reload
   * that fails says so itself and leaves them to be read before the next decision.
   */
  async amendFees(order: UnreadFees, fees: OrderFees): Promise<Amended> {
    const lifecycle = { signalId: order.signalId, symbol: order.symbol, orderId: order.orderId };
    const paid = fees.fee + (await this.ledger.priceOtherFees(fees.otherFees, fees.feeAsset, lifecycle));
    return this.onBooks(async () => {
      const amended = await amendFees(this.deps.store, order.orderId, paid, fees.quantity);
      if (amended !== "none" && "added" in amended) await this.reload();
      return amended;
    });
  }

  /**
   * Whether the order of a resumed signal whose decision was sent is on the exchange. Not found
   * while its first attempt may still be settling (lookups lag): looked up again later, not
   * decided anew, since a new decision might reject what the exchange is about to show.
   */
  private async sentStands(req: OrderRequest): Promise<boolean> {
    const orders = this.deps.adapter.resting;
    if (orders === undefined) return false;
    const clientOrderId = clientOrderIdFor(req.id);
    if ((await orders.find(req.symbol, clientOrderId)) !== undefined) return true;
    const settleBy = this.resendAfter(req.id);
    if (settleBy !== undefined && Date.now() < settleBy)
      throw new Error(
        `order ${clientOrderId} is not on the exchange yet; its first attempt may still be settling, so it is looked up again before the signal is decided again`,
      );
    return false;
  }

  /** Renews the claim every third of its lease until cleared; a failed renewal is said at warn. */
  private keepClaimed(signalId: string, log: Logger): NodeJS.Timeout {
    const timer = setInterval(
      () => {
        this.deps.store.renewClaim(signalId).catch((error: unknown) => {
          log.warn("claim lease not renewed: another replica may resume this signal", {
            signalId,
            err: error,
          });
        });
      },
      (this.deps.cfg.CLAIM_LEASE_SECONDS * 1000) / 3,
    );
    timer.unref();
    return timer;
  }

  /** When an order whose first attempt failed here may be sent again if the exchange does not show it. */
  private resendAfter(signalId: string): number | undefined {
    const failedAt = this.failedClaims.get(signalId);
    return failedAt === undefined ? undefined : failedAt + this.deps.cfg.ORDER_RESEND_AFTER_MS;
  }

  /**
   * What `position_size_pct` sizes on: paper, the ledger's equity; an exchange, its account's as
   * last read (valued at fresh mids), or why it is not known.
   */
  private equity(at: number): EquityReading {
    if (this.deps.adapter.mode === "paper") return { usd: this.ledger.equity() };
    return (
      this.deps.accountEquity?.reading(at) ?? {
        unknown: "this engine was started without reading the account",
      }
    );
  }

  /** The symbol's live mid price, from a quote no older than PRICE_MAX_AGE_MS. */
  markPrice(symbol: string, now = Date.now()): number | undefined {
    return this.deps.prices.freshMid(symbol, this.deps.cfg.PRICE_MAX_AGE_MS, now);
  }

  snapshot() {
    return {
      positions: Object.fromEntries(this.ledger.positions),
      dailyRealizedPnl: this.ledger.dailyRealized,
      killSwitch: this.killSwitch,
    };
  }

  /**
   * Resolves "done" once the outcome is persisted (ack), or "busy" when another replica is deciding
   * the same id right now (nak and retry later); throws on transient failure.
   */
  handle(req: OrderRequest, receivedAt: number): Promise<Outcome> {
    return this.onBooks(() => this.handleIn(this.direct, req, receivedAt));
  }

  /** Reloads the state from the database; the error if that failed (nothing may be decided then). */
  private async reload(now = Date.now()): Promise<Error | undefined> {
    // After a failed reload, the next waits (0.5 s doubling to 2 s): every caller meanwhile gets the
    // same failure at once instead of hammering a database that is down.
    if (this.reloadFailure !== undefined && now < this.reloadFailure.notBefore)
      return this.reloadFailure.error;
    try {
      await this.load();
      this.dirty = false;
      this.reloadFailure = undefined;
      return undefined;
    } catch (error) {
      this.dirty = true;
      const failed = new Error("engine state could not be reloaded from PostgreSQL; deciding nothing", {
        cause: error,
      });
      const attempts = (this.reloadFailure?.attempts ?? 0) + 1;
      const retryInMs = backoffCeiling(attempts, { initialMs: 500, maxMs: 2_000 });
      this.reloadFailure = { error: failed, attempts, notBefore: Date.now() + retryInMs };
      this.deps.log.error(failed.message, { retryInMs, err: error });
      return failed;
    }
  }

  /**
   * Several requests at once. In paper mode they are decided one after another in memory and
   * written in ONE statement (one round trip for the batch); their order events and lifecycle log
   * lines go out once it is stored. If anything in the batch fails, or one of its signals was
   * decided before (a redelivery), nothing of it is kept: the in-memory state is reloaded from the
   * database and the requests are replayed one by one, so a bad one fails alone and a repeat is
   * a duplicate. On an exchange, each order must be claimed durably before it is sent (F31):
   * requests go one by one. Per request: an Outcome, or the Error it failed with (nak and retry),
   * given to `settle` (the acks) as soon as they are stored, and returned once everything is done.
   */
  async handleBatch(
    items: readonly Incoming[],
    settle: (outcomes: (Outcome | Error)[]) => Promise<void> = async () => {},
    alive: () => void = () => {},
    /** The consumer stopping: requests not started yet are left for redelivery ("busy"). */
    stop?: AbortSignal,
  ): Promise<(Outcome | Error)[]> {
    this.waiting.add(alive);
    const decided = await this.exclusive(() => this.decideBatch(items, stop)).finally(() => {
      this.waiting.delete(alive);
    });
    if (Array.isArray(decided)) {
      await settle(decided);
      return decided;
    }
    // Committed, its events with it (the outbox): the acks need not wait for them, and they go
    // out outside the lock, so the next batch is decided meanwhile.
    // In turn behind the one-by-one path's rows, so events go out in the order they were stored.
    const published = this.outbox.publishInTurn(decided.outbox);
    // Both run to the end before this returns, even when the acks fail: nothing outlives its batch.
    const [acked] = await Promise.allSettled([settle(decided.outcomes), published]);
    if (acked.status === "rejected") throw acked.reason;
    return decided.outcomes;
  }

  /** Beats as each request is decided: a batch decided one by one may take long, and live. */
  private async decideBatch(
    items: readonly Incoming[],
    stop?: AbortSignal,
  ): Promise<(Outcome | Error)[] | Committed> {
    const failed = this.dirty ? await this.reload() : undefined;
    if (failed) return items.map(() => failed);
    if (this.deps.adapter.mode === "paper") {
      const batched = await this.tryBatch(items);
      if (batched !== undefined) return batched;
    }
    const outcomes: (Outcome | Error)[] = [];
    let left = 0;
    for (const { req, receivedAt } of items) {
      // Stopping (the price feed is going too): what is not started is decided after the restart,
      // not rejected here for want of a fresh quote.
      if (stop?.aborted) {
        outcomes.push("busy");
        left += 1;
        continue;
      }
      outcomes.push(
        await this.handleIn(this.direct, req, receivedAt).catch((error: unknown) =>
          error instanceof Error ? error : new Error(String(error)),
        ),
      );
      this.beat();
    }
    if (left > 0)
      this.deps.log.info("stopping: requests of the batch not started are left for redelivery", {
        left,
        decided: outcomes.length - left,
      });
    return outcomes;
  }

  /**
   * The one-statement batch; undefined when it was not stored and the state was reloaded (the
   * caller replays one by one), or every request's Error when even the reload failed.
   */
  private async tryBatch(items: readonly Incoming[]): Promise<(Outcome | Error)[] | Committed | undefined> {
    const writer = new BatchWriter();
    const log = new DeferredLog(this.deps.log);
    const unit: Unit = { store: writer, log, onStored: (count) => log.defer(count) };
    const outcomes: Outcome[] = [];
    const cooldowns = this.ledger.cooldowns();
    let outbox: OutboxWrite | undefined;
    try {
      for (const { req, receivedAt } of items) outcomes.push(await this.handleIn(unit, req, receivedAt));
      outbox = this.outbox.write(writer.events);
      await writer.commit(this.deps.store, outbox);
    } catch (error) {
      if (outbox !== undefined) this.outbox.rolledBack(outbox);
      this.ledger.restoreCooldowns(cooldowns);
      if (error instanceof BatchConflict)
        this.deps.log.info("batch holds signals stored before (a redelivery); deciding them one by one", {
          requests: items.length,
        });
      else if (error instanceof OneByOne)
        this.deps.log.info("batch decided one by one instead", {
          requests: items.length,
          why: error.message,
        });
      else
        this.deps.log.warn("batch rolled back; reloading state and deciding its requests one by one", {
          requests: items.length,
          err: error,
        });
      const failed = await this.reload();
      return failed && items.map(() => failed);
    }
    log.flush();
    // Stored: the events can go out (their msg ids make a retry's repeat a no-op).
    return { outcomes, outbox };
  }

  private async handleIn(unit: Unit, req: OrderRequest, receivedAt: number): Promise<Outcome> {
    const { metrics } = this.deps;
    const { log } = unit;
    const { store } = unit;
    const lifecycle = { ...lifecycleOf(req), action: req.action };
    const stored = await store.claim(req);
    // A claim this replica holds from an attempt that failed mid-way is resumed here at once,
    // not after the lease: the order may exist, and `resumed` makes the adapter look it up.
    const claim =
      stored.state === "busy" && stored.heldHere === true && this.failedClaims.has(req.id)
        ? { ...stored, state: "resume" as const }
        : stored;
    if (claim.state === "duplicate") {
      this.failedClaims.delete(req.id);
      if (claim.status === "ABANDONED")
        log.warn(
          "signal cut short after its order was sent, found again too late to resume: left to reconciliation",
          { ...lifecycle, status: claim.status },
        );
      else log.info("duplicate signal ignored", { ...lifecycle, status: claim.status });
      unit.onStored(() => metrics.signals.inc({ source: req.source, outcome: "duplicate" }));
      return "done";
    }
    if (claim.state === "busy") {
      log.info(
        claim.heldHere === true
          ? "signal being decided here already; retrying later"
          : "signal being decided by another replica; retrying later",
        lifecycle,
      );
      return "busy";
    }
    try {
      const resumed = claim.state === "resume" ? { sent: claim.sent } : undefined;
      await this.decideAndAct(unit, req, resumed, lifecycle);
      this.failedClaims.delete(req.id);
    } catch (error) {
      if (!this.failedClaims.has(req.id)) this.failedClaims.set(req.id, Date.now());
      // It may have failed after a durable write (a fill stored, its protection not): memory may
      // be behind the database, so it is reloaded before anything else is decided.
      this.dirty = true;
      throw error;
    }
    const seconds = (Date.now() - receivedAt) / 1000;
    unit.onStored(() => metrics.decisionSeconds.observe(seconds));
    return "done";
  }

  private async decideAndAct(
    unit: Unit,
    req: OrderRequest,
    /** Claimed before and undecided (a crash, a failed attempt): its order may be out. */
    resumed: { sent?: SentDecision } | undefined,
    lifecycle: Record<string, unknown>,
  ): Promise<void> {
    const { metrics, cfg } = this.deps;
    const { ledger } = this;
    const { store, log } = unit;
    log.info("RECEIVED", {
      ...lifecycle,
      stage: "RECEIVED",
      confidence: req.confidence,
      resumed: resumed !== undefined,
    });
    const checks: Check[] = [];
    const now = Date.now();
    let quote = this.deps.prices.get(req.symbol);
    if (resumed?.sent !== undefined && (await this.sentStands(req))) {
      // Its order is on the exchange: recorded as decided then, whatever deciding now would say.
      const d = resumedDecision(resumed.sent);
      checks.push({
        step: "resumed",
        outcome: "pass",
        detail: `order ${clientOrderIdFor(req.id)} reached the exchange: the decision sent before stands`,
      });
      const executed = await this.execute(
        unit,
        req,
        d,
        quote ?? referenceQuote(d, now),
        lifecycle,
        true,
        checks,
      );
      unit.onStored(() => metrics.signals.inc({ source: req.source, outcome: executed }));
      return;
    }
    // Decided again (at that time, on the quote then) after what executed meanwhile changed the
    // books: an exit recorded just now is an execution after the first decision's time, and the
    // calls that found it may have taken longer than a quote stays fresh.
    const decideNow = (at = Date.now()) => {
      quote = this.deps.prices.get(req.symbol);
      return decide(
        req,
        quote,
        {
          positions: ledger.positions,
          killSwitch: this.killSwitch,
          dailyRealizedPnl: ledger.dailyRealized,
          lastExecution: ledger.lastExecution,
          restingEntries: this.restingEntries(),
          markOf: (symbol) => this.markPrice(symbol, at),
          lastMidOf: (symbol) => this.deps.prices.mid(symbol),
          equity: () => this.equity(at),
        },
        cfg,
        at,
        checks,
        this.deps.exchangeFilters,
      );
    };
    let decision = decideNow(now);
    if (decision.kind === "execute" && req.action === "CLOSE" && (await this.supersedeCloses(unit, req))) {
      // What executed of the superseded closes changed the position: decided again on what is left.
      checks.length = 0;
      decision = decideNow();
    }
    // The levels the exchange holds for the position are taken back before a close, or a flip, goes
    // out (on spot they hold the asset). A leg that executed meanwhile was the exit, or part of it (a
    // take-profit filled in part): decided again on what is left, until nothing of the levels rests
    // there. A flip decided on a position its stop already closed would open more than it checked.
    while (
      decision.kind === "execute" &&
      (decision.closing || opposes(ledger.positionQuantity(req.symbol), decision.side))
    ) {
      const closing = decision.closing;
      const exited = await this.watch.releaseForClose(req, lifecycle);
      if (exited === undefined) break;
      checks.length = 0;
      decision = decideNow();
      if (closing && decision.kind === "reject" && ledger.isFlat(req.symbol, ledger.position(req.symbol)))
        decision = {
          kind: "reject",
          source: "exchange",
          step: "exchange",
          reason: `no_position: closed on the exchange by its ${exited.reason} (${exited.clientOrderId})`,
        };
    }
    let executed: Executed = "rejected";
    switch (decision.kind) {
      case "hold":
        await store.finish(req.id, "HOLD", undefined, checks);
        log.info("HOLD", { ...lifecycle, stage: "HOLD" });
        break;
      case "reject":
        await store.finish(req.id, "REJECTED", decision.reason, checks, [
          this.event("rejected", req, {
            // A CLOSE of a short would have bought.
            ...(req.action === "CLOSE" && ledger.positionQuantity(req.symbol) < 0 ? { side: "BUY" } : {}),
            rejection_source: decision.source,
            rejection_reason: decision.reason,
          }),
        ]);
        log.info("REJECTED", {
          ...lifecycle,
          stage: "REJECTED",
          step: decision.step,
          reason: decision.reason,
        });
        break;
      case "execute":
        if (!quote) throw new Error("unreachable: execute without a quote");
        executed = await this.execute(unit, req, decision, quote, lifecycle, resumed !== undefined, checks);
        break;
    }
    const outcome = decision.kind === "execute" ? executed : decision.kind === "hold" ? "hold" : "rejected";
    unit.onStored(() => metrics.signals.inc({ source: req.source, outcome }));
  }

  /**
   * A CLOSE about to execute supersedes the closes resting in the paper book or working on the
   * exchange for its symbol: they are canceled first (see supersedeCloses). True when any was.
   * Not inside a paper batch: its claims are not stored yet, and a redelivered CLOSE decided before
   * must not cancel what rests now; the batch is decided one by one instead (claims first).
   */
  private async supersedeCloses(unit: Unit, req: OrderRequest): Promise<boolean> {
    if (unit !== this.direct && this.book.hasCloses(req.symbol))
      throw new OneByOne(`${req.id} supersedes the closes resting for ${req.symbol}`);
    const reason = `superseded_by_close: ${req.id}`;
    const paper = await this.book.supersedeCloses(req.symbol, reason);
    const exchange = (await this.exchangeBook?.supersedeCloses(req.symbol, reason)) ?? false;
    return paper || exchange;
  }

  /** Records a decided order as rejected before or by the venue, with its event. */
  private async rejectOrder(
    unit: Unit,
    req: OrderRequest,
    d: Extract<Decision, { kind: "execute" }>,
    clientOrderId: string,
    lifecycle: Record<string, unknown>,
    checks: readonly Check[],
    why: { source: RejectionSource; step: string; reason: string },
  ): Promise<"rejected"> {
    await unit.store.finish(
      req.id,
      "REJECTED",
      why.reason,
      [...checks, { step: why.step, outcome: "reject", detail: why.reason }],
      [
        this.event("rejected", req, {
          client_order_id: clientOrderId,
          side: d.side,
          quantity: d.quantity,
          rejection_source: why.source,
          rejection_reason: why.reason,
        }),
      ],
    );
    unit.log.info("REJECTED", {
      ...lifecycle,
      stage: "REJECTED",
      step: why.step,
      reason: why.reason,
      clientOrderId,
    });
    return "rejected";
  }

  /**
   * A fill far from the quote the order was sized on means the price feed and the venue disagree,
   * e.g. mainnet prices against testnet orders (F27): loud at error and counted, every time.
   */
  private checkFillPrice(
    fill: number,
    quoted: number,
    lifecycle: Record<string, unknown>,
    clientOrderId: string,
  ): void {
    const deviation = Math.abs(fill - quoted) / quoted;
    if (!(deviation > this.deps.cfg.MAX_FILL_DEVIATION)) return;
    this.deps.metrics.priceMismatch.inc();
    this.deps.log.error(
      "fill price far from the quote used for sizing: do the price feed and the venue match?",
      {
        ...lifecycle,
        clientOrderId,
        fillPrice: fill,
        quotedPrice: quoted,
        deviation: Math.round(deviation * 10_000) / 10_000,
        maxDeviation: this.deps.cfg.MAX_FILL_DEVIATION,
        mode: this.deps.adapter.mode,
      },
    );
  }

  /** Submits through the adapter and records the outcome; a LIMIT the market has not reached rests. */
  private async execute(
    unit: Unit,
    req: OrderRequest,
    d: Extract<Decision, { kind: "execute" }>,
    quote: { bid: number; ask: number; at: number },
    lifecycle: Record<string, unknown>,
    resumed: boolean,
    checks: readonly Check[],
  ): Promise<Executed> {
    const { adapter } = this.deps;
    const { store, log } = unit;
    // In paper only a GTC the quote does not reach rests in the book; an IOC or FOK goes to the
    // venue, which fills or expires it. On an exchange every order goes there (a GTC may work there).
    if (
      adapter.mode === "paper" &&
      d.limitPrice !== undefined &&
      d.timeInForce === "GTC" &&
      !marketable(d.side, Number(d.limitPrice), quote)
    )
      return this.book.rest(unit, req, d, d.limitPrice, lifecycle, checks);
    const clientOrderId = clientOrderIdFor(req.id);
    // Stored before it goes out: once sent, this decision is final (see SentDecision).
    if (adapter.mode !== "paper") await this.deps.store.markSent(req.id, sentDecision(d));
    // Past its age limit the signal would be refused as stale: its order is not sent later either.
    const sendBy = req.timestampMs + this.deps.cfg.MAX_SIGNAL_AGE_SECONDS * 1_000;
    // Only a new order: a resumed one may be out already, and the adapter looks it up first.
    if (!resumed && Date.now() > sendBy) {
      const reason = staleBeforeSent(req.timestampMs, this.deps.cfg.MAX_SIGNAL_AGE_SECONDS);
      // Something held the decision up (the database, the exchange): loud, since it lost a trade.
      unit.log.warn("order not sent: its signal went stale while the decision waited", {
        ...lifecycle,
        clientOrderId,
        reason,
      });
      return this.rejectOrder(unit, req, d, clientOrderId, lifecycle, checks, {
        source: "validation",
        step: "stale",
        reason,
      });
    }
    // Waiting on the exchange (the rate limiter, retries) may outlast the claim's lease: renewed
    // meanwhile, so another replica finds it busy instead of resuming it and sending it too.
    const lease = adapter.mode === "paper" ? undefined : this.keepClaimed(req.id, log);
    const result = await adapter
      .submit({
        symbol: req.symbol,
        side: d.side,
        quantity: d.quantity,
        clientOrderId,
        quote,
        resumed,
        resendAfterMs: this.resendAfter(req.id),
        sendBy,
        limitPrice: d.limitPrice,
        timeInForce: d.timeInForce,
        // Whatever reduces the position (a CLOSE, or a BUY/SELL no larger than it) never opens one.
        reduceOnly: d.closing,
        leverage: req.leverage,
      })
      .finally(() => clearInterval(lease));
    // An order found again after a restart was reported on the stream long ago: nothing is owed.
    if (result.kind !== "rejected" && !result.recovered && adapter.mode !== "paper")
      this.deps.onExchangeOrder?.(clientOrderId);
    if (result.kind === "rejected")
      return this.rejectOrder(unit, req, d, clientOrderId, lifecycle, checks, {
        source: "exchange",
        step: "exchange",
        reason: result.reason,
      });
    if (result.kind === "resting") {
      if (this.exchangeBook === undefined)
        throw new Error(`unreachable: ${adapter.mode} order resting without a book`);
      // A MARKET order can answer NEW too (the exchange busy): tracked the same way, its price the
      // reference it was sized on.
      const placed =
        d.limitPrice === undefined
          ? { orderId: result.orderId, clientOrderId, price: toDecimal(d.refPrice), type: "MARKET" as const }
          : { orderId: result.orderId, clientOrderId, price: d.limitPrice, type: "LIMIT" as const };
      return this.exchangeBook.rest(unit, req, d, placed, lifecycle, checks);
    }
    const order: OrderFill = {
      side: d.side,
      quantity: d.quantity,
      closing: d.closing,
      type: d.limitPrice === undefined ? "MARKET" : "LIMIT",
    };
    log.info("ORDER_PLACED", {
      ...lifecycle,
      stage: "ORDER_PLACED",
      clientOrderId,
      orderId: result.orderId,
      side: d.side,
      quantity: d.quantity,
      mode: adapter.mode,
      recovered: result.recovered,
    });
    this.checkFillPrice(Number(result.price), d.refPrice, lifecycle, clientOrderId);
    const fee =
      Number(result.fee) + (await this.ledger.priceOtherFees(result.otherFees, result.feeAsset, lifecycle));
    const { position, realized } = this.ledger.venueFill(req, d.side, {
      quantity: Number(result.quantity),
      price: Number(result.price),
      fee,
      baseFee: Number(result.baseFee),
    });
    const fill = { ...result, fee: toDecimal(fee), clientOrderId };
    const record = this.ledger.fillRecord(req, order, fill, position, realized);
    // Less than ordered executed and the rest expired: the row keeps what was ordered (CANCELED).
    const partial = Number(fill.quantity) < Number(order.quantity);
    const stored = await store.recordFill(
      partial ? { ...record, ordered: order.quantity } : record,
      checks,
      oneShotEvents(this.deps.cfg.TRADING_MODE, req, order, fill, d.limitPrice),
    );
    if (!stored) {
      // A retry after the fill was persisted (a replica's, or ours before a crash): that write
      // stored its events in the outbox, which publishes them; never fill twice.
      log.warn("order already recorded for this signal; not filled twice", { ...lifecycle, clientOrderId });
      return "filled";
    }
    await this.ledger.settleFill(unit, req, order, fill, position, realized, lifecycle);
    return "filled";
  }
}
