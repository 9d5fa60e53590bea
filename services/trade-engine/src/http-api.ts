import type { Logger } from "@tradewire/logger";
import { KillSwitchCommand, parseWith } from "@tradewire/schemas";
import { readJsonBody, type Supervisor, sendJson } from "@tradewire/supervisor";
import type { TradeEngine } from "./engine.js";
import { round8 } from "./paper.js";
import type { PriceBook } from "./prices.js";
import { type EngineStore, ORDER_STATUSES } from "./store.js";

/** GET /positions, GET /orders?status=, DELETE /orders/:clientOrderId, GET /signals/:id, POST /kill-switch. */
export function registerRoutes(
  sup: Supervisor,
  engine: TradeEngine,
  store: EngineStore,
  prices: PriceBook,
  log: Logger,
  /** Sends a kill switch command to every replica (and the control stream that keeps it). */
  broadcast: (command: KillSwitchCommand) => void,
): void {
  sup.route("GET", "/positions", (_req, res) => {
    const snap = engine.snapshot();
    const now = Date.now();
    const positions = Object.entries(snap.positions).map(([symbol, p]) => {
      const mid = prices.mid(symbol);
      const mark = mid === undefined ? undefined : round8(mid);
      const quoted = prices.get(symbol)?.at;
      return {
        symbol,
        ...p,
        markPrice: mark,
        // How old the quote behind the mark is: a feed that died leaves an old mark, not a current one.
        markAgeMs: quoted === undefined ? undefined : now - quoted,
        unrealizedPnl: mark === undefined ? undefined : round8(p.quantity * (mark - p.avgPrice)),
      };
    });
    sendJson(res, 200, { positions, dailyRealizedPnl: snap.dailyRealizedPnl, killSwitch: snap.killSwitch });
  });
  sup.route("GET", "/orders", async (_req, res, _params, url) => {
    const asked = url.searchParams.get("status");
    const status = ORDER_STATUSES.find((s) => s === asked?.toUpperCase());
    if (asked !== null && status === undefined)
      return sendJson(res, 400, {
        error: `status must be one of ${ORDER_STATUSES.map((s) => s.toLowerCase()).join(", ")}: got ${JSON.stringify(asked)}`,
      });
    sendJson(res, 200, { orders: await store.orders(status) });
  });
  sup.route("DELETE", "/orders/:clientOrderId", async (_req, res, params) => {
    const id = params.clientOrderId ?? "";
    const canceled = await engine
      .cancelOrder(id, "canceled_by_operator: DELETE /orders")
      .catch((error: unknown) => {
        log.error("DELETE /orders: cancel not confirmed", { clientOrderId: id, err: error });
        return error instanceof Error ? error : new Error(String(error));
      });
    // The exchange unreachable, or its cancel not recorded yet (the order poll records it): said, not a bare 500.
    if (canceled instanceof Error)
      return sendJson(res, 502, { error: `cancel of ${id} not confirmed: ${canceled.message}` });
    if (!canceled) return sendJson(res, 404, { error: `no resting order ${id}` });
    sendJson(res, 200, { canceled: id });
  });
  sup.route("GET", "/signals/:id", async (_req, res, params) => {
    const signal = await store.signal(params.id ?? "");
    if (!signal) return sendJson(res, 404, { error: `no signal ${params.id}` });
    sendJson(res, 200, signal);
  });
  sup.route("POST", "/kill-switch", async (req, res) => {
    const parsed = parseWith(KillSwitchCommand, "KillSwitchCommand", await readJsonBody(req));
    if (!parsed.ok) return sendJson(res, 400, { error: parsed.error.message });
    const command = { ...parsed.value, actor: parsed.value.actor ?? "http" };
    // Here first (it holds at once, before anything is awaited), then to the other replicas in the
    // order the commands came, whatever storing or canceling each then takes.
    const applying = engine.setKillSwitch(command.enabled, command.reason, command.actor);
    broadcast(command);
    const failed = await applying.then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    // In force in this process either way; a failure (not stored, an entry not canceled yet) is said.
    if (failed !== undefined) return sendJson(res, 500, { killSwitch: engine.killSwitch, error: failed });
    sendJson(res, 200, { killSwitch: engine.killSwitch });
  });
}
