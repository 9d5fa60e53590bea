import { toDecimal } from "@tradewire/binance";
import { backoffCeiling } from "@tradewire/supervisor";
import type { DirectStore } from "./direct-store.js";
import type { Outcome } from "./engine.js";
import { type ExchangeProtection, engineOnly, withoutVenue } from "./exchange-protection.js";
import type { VenueExit } from "./execution/venue.js";
import type { EngineParts, Ledger } from "./ledger.js";
import type { Unit } from "./order-events.js";
import { applyFill } from "./paper.js";
import { exitRequest, type Protection, triggered } from "./protection.js";
import { lifecycleOf, type OrderRequest } from "./request.js";

/** The longest wait between two exits of a position that were not carried out. */
const MAX_EXIT_RETRY_MS = 60_000;
/** The longest wait between two placements of a position's levels on the exchange that failed. */
const MAX_PLACE_RETRY_MS = 600_000;
/** The wait before an exit whose claim is held (busy) is tried again under the same id. */
const BUSY_EXIT_RETRY_MS = 1_000;

/**
 * Watches every position's stop-loss / take-profit (F25): levels the engine holds are compared
 * with its live quote and a crossed one sends a CLOSE through the normal pipeline; levels the
 * exchange holds are polled, and an executed leg is recorded as the position's exit.
 */
export class ProtectionWatch {
  /** Exits triggered and not yet settled, so a level is acted on once. */
  private readonly exiting = new Set<string>();
  /** Per symbol, the placements of its levels on the exchange that failed, and when to try again. */
  private readonly placeAttempts = new Map<string, { attempt: number; notBefore: number }>();
  /** Exchange exits this replica claimed and failed to record: its claim is its own to take up. */
  private readonly failedExits = new Set<string>();
  /** Per symbol, since when its engine-held levels have had no fresh quote to be compared with. */
  private readonly unwatched = new Map<string, { since: number; said: boolean }>();
  /** Per symbol, the exit attempts that did not close it, and when the next one may go. */
  private readonly exitAttempts = new Map<
    string,
    { attempt: number; notBefore: number; failures?: number }
  >();

  constructor(
    private readonly deps: EngineParts & {
      ledger: Ledger;
      exchangeProtection: ExchangeProtection;
      direct: Unit & { store: DirectStore };
      /** Runs an exit request through dedup, the checks and execution. */
      runExit: (req: OrderRequest, now: number) => Promise<Outcome>;
    },
  ) {}

  /**
   * Notes whether `p`'s levels can be compared with a quote now (one no older than PRICE_MAX_AGE_MS). A
   * position whose levels went without one for PRICE_MAX_AGE_MS more (the price feed silent) is
   * unprotected: said once at warn, counted in `tradewire_engine_protections_unwatched`, and said
   * at info once a fresh quote watches it again. The grace keeps a restart's first moments quiet.
   */
  private noteWatched(p: Protection, quoteAgeMs: number | undefined, now: number): void {
    const { cfg, log } = this.deps;
    const gap = this.unwatched.get(p.symbol);
    if (quoteAgeMs !== undefined && quoteAgeMs <= cfg.PRICE_MAX_AGE_MS) {
      if (gap !== undefined) {
        this.unwatched.delete(p.symbol);
        if (gap.said)
          log.info("stop-loss / take-profit watched again: the quote is fresh", {
            symbol: p.symbol,
            unwatchedMs: now - gap.since,
          });
      }
      return;
    }
    if (gap === undefined) this.unwatched.set(p.symbol, { since: now, said: false });
    else if (!gap.said && now - gap.since >= cfg.PRICE_MAX_AGE_MS) {
      gap.said = true;
      log.warn(
        "stop-loss / take-profit not watched: no fresh quote for the symbol (is the price feed silent?)",
        {
          symbol: p.symbol,
          stopLoss: p.stopLoss,
          takeProfit: p.takeProfit,
          quoteAgeMs: quoteAgeMs ?? null,
          maxAgeMs: cfg.PRICE_MAX_AGE_MS,
        },
      );
    }
  }

  /** Symbols whose engine-held levels are gone (closed, or moved to the exchange) are no gap. */
  private forgetUnwatched(held: ReadonlySet<string>): void {
    for (const symbol of this.unwatched.keys()) if (!held.has(symbol)) this.unwatched.delete(symbol);
  }

  /**
   * Engine-held levels the quote crossed: the exit's id derives from the entry, so it executes once.
   * An exit that fails does not keep the other symbols' exits from going: its error is thrown once
   * every symbol was looked at.
   */
  async checkLevels(now: number): Promise<void> {
    const { ledger, prices, cfg, log, metrics } = this.deps;
    const errors: unknown[] = [];
    const engineHeld = [...ledger.protections.values()].filter((p) => p.venue === undefined);
    this.forgetUnwatched(new Set(engineHeld.map((p) => p.symbol)));
    for (const p of engineHeld) this.noteWatched(p, quoteAge(prices.get(p.symbol), now), now);
    metrics.protectionsUnwatched.set([...this.unwatched.values()].filter((gap) => gap.said).length);
    for (const p of engineHeld) {
      const quote = prices.get(p.symbol);
      if (
        this.unwatched.has(p.symbol) ||
        quote === undefined ||
        this.exiting.has(p.symbol) ||
        now < (this.exitAttempts.get(p.symbol)?.notBefore ?? 0)
      )
        continue;
      const reason = triggered(p, quote);
      if (reason === undefined) continue;
      this.exiting.add(p.symbol);
      log.info("PROTECTION_TRIGGERED", {
        symbol: p.symbol,
        entrySignalId: p.signalId,
        reason,
        triggerPrice: reason === "stop_loss" ? p.stopLoss : p.takeProfit,
        bid: quote.bid,
        ask: quote.ask,
      });
      const before = this.exitAttempts.get(p.symbol);
      const attempt = before?.attempt ?? 1;
      let outcome: Outcome;
      try {
        outcome = await this.deps.runExit(exitRequest(p, reason, now, attempt), now);
      } catch (error) {
        // Failed (the venue or the database down): the same exit again, backing off, not every tick.
        const failures = (before?.failures ?? 0) + 1;
        const retryInMs = backoffCeiling(failures, {
          initialMs: cfg.PROTECTION_CHECK_MS,
          maxMs: MAX_EXIT_RETRY_MS,
        });
        this.exitAttempts.set(p.symbol, { attempt, notBefore: now + retryInMs, failures });
        errors.push(error);
        continue;
      } finally {
        this.exiting.delete(p.symbol);
      }
      if (outcome === "busy") {
        // Claimed and undecided (a replica on it, or a run that stopped mid-way): the same id again
        // shortly, so once its lease ends it is resumed (the order looked up), not sent under a new id.
        this.exitAttempts.set(p.symbol, { attempt, notBefore: now + BUSY_EXIT_RETRY_MS });
        log.info("protection exit being decided elsewhere; the same exit is tried again", {
          symbol: p.symbol,
          reason,
          attempt,
          retryInMs: BUSY_EXIT_RETRY_MS,
        });
        continue;
      }
      if (ledger.protections.get(p.symbol) === p) {
        // Not closed (rejected, or decided before a restart): a fresh exit id, at once at first,
        // then backing off to once a minute, so an exit refused for good is not stored 5 times a second.
        const retryInMs = backoffCeiling(attempt, {
          initialMs: cfg.PROTECTION_CHECK_MS,
          maxMs: MAX_EXIT_RETRY_MS,
        });
        this.exitAttempts.set(p.symbol, { attempt: attempt + 1, notBefore: now + retryInMs });
        log.warn("protection exit did not close the position; retrying", {
          symbol: p.symbol,
          reason,
          attempt,
          retryInMs,
        });
      } else {
        this.exitAttempts.delete(p.symbol);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} protection exits failed`);
  }

  /**
   * Exchange-held levels: an executed leg is recorded as the exit; orders that vanished without
   * executing (canceled by hand) are logged and the engine watches the levels again. Orders the
   * exchange never knew (their ids stored, then no POST: a crash) are placed again.
   */
  async pollExchange(): Promise<Set<string>> {
    const { ledger, exchangeProtection, log } = this.deps;
    const failed = new Set<string>();
    for (const p of [...ledger.protections.values()]) {
      if (p.venue === undefined) continue;
      try {
        const status = await exchangeProtection.status(p);
        if (status.state === "exited") await this.recordExit(p, status.exit);
        else if (status.state === "gone" && status.neverPlaced === true) {
          log.warn(
            "exchange-side protection unknown to the exchange: its orders were never placed; placed again",
            {
              symbol: p.symbol,
              entrySignalId: p.signalId,
              venue: p.venue,
            },
          );
          // Nobody canceled them: the levels go back on the exchange (placeAgain, below).
          await ledger.replaceProtection(withoutVenue(p));
        } else if (status.state === "gone") {
          log.warn("exchange-side protection gone without executing; the engine watches the levels", {
            symbol: p.symbol,
            entrySignalId: p.signalId,
            venue: p.venue,
          });
          // Canceled by hand (or expired): not put back, which would fight whoever canceled it.
          await ledger.replaceProtection(engineOnly(p));
        }
      } catch (error) {
        // One symbol's failure does not keep the others (nor reconciliation) from being polled.
        failed.add(p.symbol);
        log.error("exchange protection poll failed for a symbol; asked again at the next poll", {
          symbol: p.symbol,
          entrySignalId: p.signalId,
          err: error,
        });
      }
    }
    await this.placeAgain(Date.now());
    return failed;
  }

  /**
   * Levels without exchange orders that the exchange could hold (a placement that failed, a crash
   * before it; not those the market cannot hold, nor orders canceled by hand, see
   * Protection.engineOnly) are placed again, backing off from PROTECTION_POLL_S to 10 minutes: the
   * engine watches them meanwhile, but only while it runs.
   */
  private async placeAgain(now: number): Promise<void> {
    const { ledger, cfg } = this.deps;
    for (const key of this.placeAttempts.keys())
      if (ledger.protections.get(key)?.venue !== undefined) this.placeAttempts.delete(key);
    for (const [symbol, p] of [...ledger.protections]) {
      if (p.venue !== undefined || p.engineOnly === true || !ledger.exchangeCanHold(symbol)) continue;
      const due = this.placeAttempts.get(symbol) ?? { attempt: 1, notBefore: 0 };
      if (now < due.notBefore) continue;
      const lifecycle = { symbol, entrySignalId: p.signalId, attempt: due.attempt };
      if (
        await ledger.guardAgain(
          this.deps.direct,
          symbol,
          lifecycle,
          "levels it could hold had no orders there (a failed placement, a crash before it)",
        )
      ) {
        this.placeAttempts.delete(symbol);
        continue;
      }
      const initialMs = cfg.PROTECTION_POLL_S * 1000;
      const retryInMs = backoffCeiling(due.attempt, { initialMs, maxMs: MAX_PLACE_RETRY_MS });
      this.placeAttempts.set(symbol, { attempt: due.attempt + 1, notBefore: now + retryInMs });
    }
  }

  /**
   * Before the engine closes a position its exchange orders guard, they are canceled (on spot they
   * hold the asset). If one executed meanwhile, that was the exit: recorded and returned.
   */
  async releaseForClose(
    req: OrderRequest,
    lifecycle: Record<string, unknown>,
  ): Promise<VenueExit | undefined> {
    const { ledger, exchangeProtection } = this.deps;
    const guard = ledger.protections.get(req.symbol);
    if (guard?.venue === undefined) return undefined;
    const exit = await exchangeProtection.release(guard, lifecycle);
    if (exit === undefined) {
      await ledger.replaceProtection(withoutVenue(guard));
      return undefined;
    }
    await this.recordExit(guard, exit);
    return exit;
  }

  /** A stop-loss or take-profit the exchange executed: stored and published as the position's exit. */
  private async recordExit(p: Protection, exit: VenueExit): Promise<void> {
    const { ledger, log } = this.deps;
    const { store } = this.deps.direct;
    // An exit that closed part of the position (a take-profit filled in part) is one of several for
    // this entry and reason: its id names its exchange order, so the next one is not taken for it.
    const partial = Number(exit.quantity) < Math.abs(ledger.positionQuantity(p.symbol)) - 1e-12;
    // The protection keeps its exchange orders until the exit is stored: a failure or a crash
    // before that leaves them for the next poll, which finds the exit again and records it.
    if (await this.deps.store.hasOrder(exit.clientOrderId)) {
      // Recorded already (a restart after it was stored): what executed is left alone.
      log.info("exchange-side exit already recorded; not recorded twice", {
        symbol: p.symbol,
        entrySignalId: p.signalId,
        clientOrderId: exit.clientOrderId,
        reason: exit.reason,
      });
      await this.forgetVenue(p);
      return;
    }
    let req = exitRequest(p, exit.reason, Date.now(), partial ? exit.clientOrderId : 1);
    let claim = await store.claim(req);
    if (claim.state === "duplicate") {
      // The id was decided by the engine's own exit of this entry (refused, or short of closing it):
      // this exit is another, and its id names its exchange order.
      req = exitRequest(p, exit.reason, Date.now(), exit.clientOrderId);
      claim = await store.claim(req);
    }
    const lifecycle = lifecycleOf(req);
    // Held by this replica's own attempt that failed: taken up again at once, not after the lease.
    if (claim.state === "busy" && !this.failedExits.has(req.id))
      throw new Error(`exit ${req.id} is being recorded elsewhere (claimed, undecided): looked at again`);
    if (claim.state === "duplicate")
      throw new Error(`exit ${req.id} was decided without its exchange order ${exit.clientOrderId} recorded`);
    const side = p.direction === 1 ? ("SELL" as const) : ("BUY" as const);
    const fee =
      Number(exit.fee) + (await ledger.priceOtherFees(exit.otherFees ?? [], exit.feeAsset, lifecycle));
    const before = ledger.position(p.symbol);
    // Nothing held the way the levels guard: reconciliation corrected the position to the exchange
    // before this exit was seen. Recorded (once) without moving the position again, which would
    // open a phantom position the other way.
    const held = before.quantity * p.direction > 0;
    if (!held)
      log.error("exchange-side exit of a position the books no longer hold: recorded without moving it", {
        ...lifecycle,
        reason: exit.reason,
        position: before.quantity,
        exitQuantity: exit.quantity,
      });
    const { position, realized } = held
      ? applyFill(before, side, Number(exit.quantity), Number(exit.price), fee)
      : { position: before, realized: 0 };
    const fill = { ...exit, fee: toDecimal(fee) };
    const detail = `${exit.reason} executed on the exchange (${exit.type} ${exit.clientOrderId})`;
    const order = { side, quantity: exit.quantity, closing: true, type: exit.type };
    this.failedExits.add(req.id);
    const stored = await store.recordFill(
      ledger.fillRecord(req, order, fill, position, realized),
      [{ step: "exchange_protection", outcome: "pass", detail }],
      [ledger.fillEvent(req, order, fill)],
    );
    this.failedExits.delete(req.id);
    // What executed is neither canceled nor placed again.
    await this.forgetVenue(p);
    if (!stored) return;
    log.info("PROTECTION_EXECUTED_ON_EXCHANGE", { ...lifecycle, reason: exit.reason, price: exit.price });
    await ledger.settleFill(this.deps.direct, req, order, fill, position, realized, lifecycle);
  }

  /** The levels of an exit recorded: no longer on the exchange; cleared once the position is flat. */
  private async forgetVenue(p: Protection): Promise<void> {
    const { ledger } = this.deps;
    if (ledger.protections.get(p.symbol) !== p) return;
    if (ledger.isFlat(p.symbol, ledger.position(p.symbol))) await ledger.clearProtection(p.symbol);
    else await ledger.replaceProtection(withoutVenue(p));
  }
}

const quoteAge = (quote: { at: number } | undefined, now: number) =>
  quote === undefined ? undefined : now - quote.at;
