import type { Check } from "./decide.js";
import type { OutgoingOrderEvent } from "./order-events.js";
import type { EventOutbox } from "./outbox.js";
import type { OrderRequest } from "./request.js";
import type { RestingOrder } from "./resting.js";
import { cancelRestingOrder } from "./resting-store.js";
import type {
  Claim,
  DecisionStore,
  EngineStore,
  FillRecord,
  OrderRow,
  OutboxRow,
  SignalStatus,
} from "./store.js";

/**
 * The one-by-one path's store (exchange modes, replayed batches, resting fills and cancels,
 * exchange-side exits): every write at once, and the order events it makes true stored by the same
 * statement (the outbox) and published once it is stored. A crash or a NATS outage between the
 * two delays the events, never loses them; the outbox sweep sends what was left behind.
 */
export class DirectStore implements DecisionStore {
  constructor(
    private readonly store: EngineStore,
    private readonly outbox: EventOutbox,
  ) {}

  claim(req: OrderRequest): Promise<Claim> {
    return this.store.claim(req);
  }

  async finish(
    signalId: string,
    status: SignalStatus,
    reason: string | undefined,
    checks: readonly Check[],
    events: readonly OutgoingOrderEvent[] = [],
  ): Promise<void> {
    await this.announced(events, async (row) => {
      await this.store.finish(signalId, status, reason, checks, row);
      return true;
    });
  }

  recordFill(
    o: FillRecord,
    checks: readonly Check[],
    events: readonly OutgoingOrderEvent[] = [],
  ): Promise<boolean> {
    return this.announced(events, (row) => this.store.recordFill(o, checks, row));
  }

  /** A resting paper LIMIT's fill (NEW → FILLED); false, and nothing published, when it was no longer open. */
  recordRestingFill(
    o: FillRecord,
    checks: readonly Check[],
    events: readonly OutgoingOrderEvent[],
  ): Promise<boolean> {
    return this.announced(events, (row) => this.store.recordRestingFill(o, checks, row));
  }

  /** An increment of a working exchange LIMIT; false, and nothing published, when it was recorded before. */
  recordExchangeFill(
    o: FillRecord,
    checks: readonly Check[],
    step: Parameters<EngineStore["recordExchangeFill"]>[2],
    events: readonly OutgoingOrderEvent[],
  ): Promise<boolean> {
    return this.announced(events, (row) => this.store.recordExchangeFill(o, checks, step, row));
  }

  /** A resting LIMIT's cancel (paper, or working on the exchange); false, and nothing published, when it was no longer open. */
  cancelResting(o: RestingOrder, reason: string, events: readonly OutgoingOrderEvent[]): Promise<boolean> {
    return this.announced(events, (row) => cancelRestingOrder(this.store, o, reason, row));
  }

  setProtection(...args: Parameters<EngineStore["setProtection"]>): Promise<void> {
    return this.store.setProtection(...args);
  }

  clearProtection(symbol: string): Promise<void> {
    return this.store.clearProtection(symbol);
  }

  insertOrder(o: OrderRow): Promise<void> {
    return this.store.insertOrder(o);
  }

  /** Runs `write` with the events' outbox row; queues them for publishing if it stored them (it returns true). */
  private async announced<T extends boolean>(
    events: readonly OutgoingOrderEvent[],
    write: (row: OutboxRow | undefined) => Promise<T>,
  ): Promise<T> {
    const row = events.length > 0 ? this.outbox.row(events) : undefined;
    const stored = await write(row);
    // Not awaited under the engine's lock: the outbox publishes it in order (see EventOutbox.enqueue).
    if (stored && row !== undefined) this.outbox.enqueue(row);
    return stored;
  }
}
