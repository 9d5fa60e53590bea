import { z } from "zod";

/**
 * One order's change as a user data stream reports it: which order, and how far it got. The
 * engine treats it as a doorbell (look this order up now), so only what names the order is kept.
 */
export interface OrderUpdate {
  symbol: string;
  /** The order's own client id (a cancel's report names it in `C`, not `c`). */
  clientOrderId: string;
  /** NEW, TRADE, CANCELED, EXPIRED, ... */
  execution: string;
  /** NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED, ... */
  status: string;
  /** Executed so far, as the exchange writes it. */
  executedQty: string;
  /** Event time, epoch ms. */
  eventTime: number;
}

/** What a frame of the stream means to its reader. */
export type UserStreamFrame =
  | { kind: "order"; update: OrderUpdate }
  /** The exchange ended the subscription (listenKey expired, stream terminated): reconnect. */
  | { kind: "ended"; reason: string }
  /** An event the engine does not follow (balances, positions, account config). */
  | { kind: "other"; event: string };

/** Spot `executionReport` (https://developers.binance.com/docs/binance-spot-api-docs/user-data-stream). */
const ExecutionReport = z.object({
  e: z.literal("executionReport"),
  E: z.number(),
  s: z.string(),
  c: z.string(),
  C: z.string().nullish(),
  x: z.string(),
  X: z.string(),
  z: z.string(),
});

/** USD-M `ORDER_TRADE_UPDATE`: the order sits in `o`. */
const OrderTradeUpdate = z.object({
  e: z.literal("ORDER_TRADE_UPDATE"),
  E: z.number(),
  o: z.object({ s: z.string(), c: z.string(), x: z.string(), X: z.string(), z: z.string() }),
});

/**
 * USD-M `ALGO_UPDATE`: a conditional order (stop-loss, take-profit) of the Algo Service changed:
 * placed, canceled, expired, rejected, triggered, finished. Its client id is `caid`.
 */
const AlgoUpdate = z.object({
  e: z.literal("ALGO_UPDATE"),
  E: z.number(),
  o: z.object({ caid: z.string(), s: z.string(), X: z.string(), aq: z.string().optional() }),
});

const Named = z.object({ e: z.string() });

/** Thrown for a frame that does not read as the event it names; the message names field and value. */
export class UserStreamFrameError extends Error {
  override readonly name = "UserStreamFrameError";
}

function parseAs<T>(schema: z.ZodType<T>, event: unknown, name: string): T {
  const r = schema.safeParse(event);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.join(".") ?? "";
  const value = issue?.path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    event,
  );
  throw new UserStreamFrameError(
    `${name}.${path} = ${JSON.stringify(value)}: ${issue?.message ?? "invalid"}`,
  );
}

/** Reads one user data event (the spot WebSocket API's `event`, or a futures frame as it is). */
export function readUserEvent(event: unknown): UserStreamFrame {
  const name = parseAs(Named, event, "event").e;
  switch (name) {
    case "executionReport": {
      const r = parseAs(ExecutionReport, event, name);
      // A cancel's report is named by the cancel request (`c`); the order it ended is `C`.
      const original = r.x === "CANCELED" ? r.C : undefined;
      return {
        kind: "order",
        update: {
          symbol: r.s,
          clientOrderId: original ? original : r.c,
          execution: r.x,
          status: r.X,
          executedQty: r.z,
          eventTime: r.E,
        },
      };
    }
    case "ORDER_TRADE_UPDATE": {
      const { E, o } = parseAs(OrderTradeUpdate, event, name);
      return {
        kind: "order",
        update: {
          symbol: o.s,
          clientOrderId: o.c,
          execution: o.x,
          status: o.X,
          executedQty: o.z,
          eventTime: E,
        },
      };
    }
    case "ALGO_UPDATE": {
      const { E, o } = parseAs(AlgoUpdate, event, name);
      return {
        kind: "order",
        update: {
          symbol: o.s,
          clientOrderId: o.caid,
          execution: o.X,
          status: o.X,
          executedQty: o.aq ?? "0",
          eventTime: E,
        },
      };
    }
    case "eventStreamTerminated":
    case "listenKeyExpired":
      return { kind: "ended", reason: name };
    default:
      return { kind: "other", event: name };
  }
}
