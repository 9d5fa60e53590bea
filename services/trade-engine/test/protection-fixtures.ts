import { waitFor } from "@tradewire/testkit";
import type { exchangeSuite } from "./harness.js";
import { testnetSettings } from "./harness.js";

/** What the exchange-side protection tests share, over one suite's environment and fake Binance. */
export function protectionFixtures(t: ReturnType<typeof exchangeSuite>) {
  /** An engine on `market` polling its protections every second and checking levels every 50 ms. */
  const start = (market: "spot" | "futures", extra: Record<string, string> = {}) =>
    t.env.start(
      testnetSettings(t.fake.url, {
        BINANCE_MARKET: market,
        PROTECTION_POLL_S: "1",
        PROTECTION_CHECK_MS: "50",
        ...extra,
      }),
    );
  const event = (signalId: string, kind: string) => async () =>
    (await t.env.orderEvents()).find((e) => e.signal_id === signalId && e.event === kind);
  const protectionRow = async () =>
    (
      await t.env.db.pool.query(
        "SELECT venue, engine_only AS \"engineOnly\" FROM engine_protections WHERE symbol = 'BTCUSDT'",
      )
    ).rows[0] as { venue: Record<string, string> | null; engineOnly: boolean } | undefined;
  /**
   * The protection's exchange orders rest on the fake (their ids are stored before they are sent,
   * so a stored venue alone does not mean they are placed yet).
   */
  const restsOnExchange = async () => {
    const venue = (await protectionRow())?.venue;
    if (venue == null) return false;
    const ids = [venue.stop, venue.takeProfit].filter((id): id is string => id !== undefined);
    const resting = [
      ...(t.fake.exchange?.orders.filter((o) => o.status === "NEW").map((o) => o.clientOrderId) ?? []),
      ...(t.fake.futures?.algoOrders.filter((o) => o.algoStatus === "NEW").map((o) => o.clientAlgoId) ?? []),
    ];
    return ids.length > 0 && ids.every((id) => resting.includes(id));
  };
  /**
   * Waits until the protection row is gone: it is deleted after the fill that flattens the position
   * is applied in memory, so a read right after "flat" may still find it.
   */
  const cleared = () =>
    waitFor("protection row cleared", async () => (await protectionRow()) === undefined, 10_000);
  return { start, event, protectionRow, restsOnExchange, cleared };
}
