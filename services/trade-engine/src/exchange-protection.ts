import type { Logger } from "@tradewire/logger";
import type { ProtectionStatus, ProtectiveOrders, VenueExit, VenueProtection } from "./execution/venue.js";
import type { Protection } from "./protection.js";

/** The same levels, watched by the engine alone (for now: placed on the exchange again when it can). */
export function withoutVenue(p: Protection): Protection {
  const { venue: _venue, engineOnly: _engineOnly, ...soft } = p;
  return soft;
}

/** The same levels, left with the engine for good (see Protection.engineOnly). */
export function engineOnly(p: Protection): Protection {
  return { ...withoutVenue(p), engineOnly: true };
}

/**
 * Stop-loss / take-profit as exchange orders (testnet/live): they execute even while the engine
 * is down. Where the market cannot hold them (a spot short, a spot stop without a take-profit) or
 * placing fails, the engine keeps watching the levels itself, and says so.
 */
export class ExchangeProtection {
  constructor(
    private readonly orders: ProtectiveOrders | undefined,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.orders !== undefined;
  }

  /**
   * The protection with its exchange orders, or without (engine-watched) when they could not be
   * placed. `remember` stores the protection with its orders' ids before they are sent; after a
   * failed placement the exchange is asked what rests under them, so nothing rests untracked.
   */
  async guard(
    p: Protection,
    quantity: number,
    lifecycle: Record<string, unknown>,
    remember: (p: Protection) => Promise<void>,
  ): Promise<Protection> {
    if (this.orders === undefined) return p;
    let sent: VenueProtection | undefined;
    try {
      const r = await this.orders.place(p, quantity, async (venue) => {
        await remember({ ...p, venue });
        sent = venue;
      });
      if ("unsupported" in r) {
        this.log.warn("exchange-side protection not placed; the engine watches the levels", {
          ...lifecycle,
          reason: r.unsupported,
        });
        return engineOnly(p);
      }
      this.log.info("exchange-side protection placed", { ...lifecycle, venue: r.placed, quantity });
      return { ...p, venue: r.placed };
    } catch (error) {
      const resting = sent === undefined ? undefined : await this.restingAfterFailure(p, sent, lifecycle);
      if (resting !== undefined) {
        this.log.error("exchange-side protection failed, yet its orders are on the exchange: followed", {
          ...lifecycle,
          venue: resting,
          err: error,
        });
        return { ...p, venue: resting };
      }
      this.log.error("exchange-side protection failed; the engine watches the levels instead", {
        ...lifecycle,
        err: error,
      });
      return p;
    }
  }

  /**
   * The orders a failed placement sent, if any rest (its answer lost) or executed: kept, so the
   * poll follows them. Unknown when the exchange cannot be asked: kept too, the poll settles it.
   */
  private async restingAfterFailure(
    p: Protection,
    sent: VenueProtection,
    lifecycle: Record<string, unknown>,
  ): Promise<VenueProtection | undefined> {
    if (this.orders === undefined) return undefined;
    const seen = await this.orders.status(p, sent).catch((error: unknown) => {
      this.log.warn("exchange-side protection: what rests after a failed placement is unknown; polled", {
        ...lifecycle,
        venue: sent,
        err: error,
      });
      return undefined;
    });
    return seen?.state === "gone" ? undefined : sent;
  }

  /** Cancels the exchange orders of `p`; the exit when one had already executed. */
  async release(p: Protection, lifecycle: Record<string, unknown>): Promise<VenueExit | undefined> {
    if (this.orders === undefined || p.venue === undefined) return undefined;
    const after = await this.orders.cancel(p, p.venue);
    if (after.state === "exited") return after.exit;
    this.log.info("exchange-side protection canceled", { ...lifecycle, venue: p.venue });
    return undefined;
  }

  status(p: Protection): Promise<ProtectionStatus> {
    if (this.orders === undefined || p.venue === undefined) return Promise.resolve({ state: "gone" });
    return this.orders.status(p, p.venue);
  }

  /** Client ids of every exchange order guarding these protections (reconciliation knows them). */
  static clientIds(protections: Iterable<Protection>): Set<string> {
    const ids = new Set<string>();
    for (const { venue } of protections) {
      if (venue === undefined) continue;
      for (const id of [venue.stop, venue.takeProfit]) if (id !== undefined) ids.add(id);
    }
    return ids;
  }
}
