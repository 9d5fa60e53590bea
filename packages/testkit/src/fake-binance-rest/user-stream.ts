import { randomBytes } from "node:crypto";
import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { FakeCredentials } from "./auth.js";
import type { FakeOrderChange } from "./exchange.js";
import type { FakeAlgoOrder, FakeFuturesOrderChange } from "./futures-model.js";
import { type Reply, reject } from "./trading.js";
import {
  algoUpdate,
  executionReport,
  type FuturesUserEvent,
  orderTradeUpdate,
  type SpotUserEvent,
} from "./user-events.js";
import {
  checkSignedSubscribe,
  parseRequest,
  type WsApiRequest,
  type WsApiResponse,
  wsApiError,
} from "./ws-api.js";

/** An event as it went out: spot with the subscription it was sent under, futures with its listenKey. */
export type SentUserEvent =
  | { kind: "spot"; subscriptionId: number; event: SpotUserEvent }
  | { kind: "futures"; listenKey: string; event: FuturesUserEvent };

/** Test controls of the fake's user data streams. */
export interface FakeUserStreams {
  /** Open user-stream sockets: spot WebSocket API connections and futures listenKey streams. */
  connections(): number;
  /** Active spot `userDataStream.subscribe.signature` subscriptions, over all connections. */
  subscriptions(): number;
  /** Destroys every user-stream socket without a close frame (a network drop). */
  drop(): void;
  /** While on, events are not sent, and lost (not queued), as on a dead connection; answers still go. */
  mute(on: boolean): void;
  /**
   * The open user-stream sockets go silent without closing (F39): no pong to a ping, no event, no
   * answer, until the client gives up on them. Connections opened afterwards are not affected.
   */
  freeze(): void;
  /** Every event actually sent, in order (one entry per socket and subscription it went to). */
  sent: SentUserEvent[];
  /**
   * Expires the futures listenKey: `listenKeyExpired` on its sockets, which stay open but hear
   * nothing more; PUT then answers -1125 and POST makes a new key.
   */
  expireListenKey(): void;
  /** The active futures listenKey, if any. */
  listenKey(): string | undefined;
}

export const WS_API_PATH = "/ws-api/v3";
export const WS_STREAM_PATH = "/ws";

interface SpotSession {
  kind: "spot";
  socket: WebSocket;
  frozen: boolean;
  active: Set<number>;
  nextSubscriptionId: number;
}
interface FuturesSession {
  kind: "futures";
  socket: WebSocket;
  frozen: boolean;
  listenKey: string;
}
type Session = SpotSession | FuturesSession;

const NO_KEY = () => reject(-1125, "This listenKey does not exist.");
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const newListenKey = () => [...randomBytes(64)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join("");
const text = (data: RawData) =>
  (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString();

/** Answers an upgrade it will not accept with a plain HTTP error, as a proxy in front of Binance would. */
function refuse(socket: Duplex, status: number, body: { code: number; msg: string }): void {
  const json = JSON.stringify(body);
  socket.on("error", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

/**
 * The fake's user data streams: spot through the WebSocket API (`/ws-api/v3`, subscribed with
 * `userDataStream.subscribe.signature`), USD-M through a listenKey (`/fapi/v1/listenKey`, streamed
 * at `/ws/<listenKey>` or `/ws?listenKey=<listenKey>`). Feed it the models' order changes; an
 * upgrade to an unknown or expired listenKey is refused with HTTP 400 (-1125), any other path 404.
 */
export function createUserStreams(creds: { spot?: FakeCredentials; futures?: FakeCredentials }) {
  // Pongs are sent by hand, so that a frozen socket can stop sending them.
  const wss = new WebSocketServer({ noServer: true, autoPong: false });
  const sessions = new Set<Session>();
  const sent: SentUserEvent[] = [];
  let muted = false;
  let listenKey: string | undefined;

  const send = (s: Session, frame: unknown): boolean => {
    if (s.frozen || s.socket.readyState !== WebSocket.OPEN) return false;
    s.socket.send(JSON.stringify(frame));
    return true;
  };
  const pushSpot = (s: SpotSession, subscriptionId: number, event: SpotUserEvent) => {
    if (!muted && send(s, { subscriptionId, event })) sent.push({ kind: "spot", subscriptionId, event });
  };
  const pushFutures = (s: FuturesSession, event: FuturesUserEvent) => {
    if (!muted && send(s, event)) sent.push({ kind: "futures", listenKey: s.listenKey, event });
  };
  const spotSessions = () => [...sessions].filter((s): s is SpotSession => s.kind === "spot");
  const keySessions = (key: string | undefined) =>
    [...sessions].filter((s): s is FuturesSession => s.kind === "futures" && s.listenKey === key);

  function request(s: SpotSession, req: WsApiRequest): WsApiResponse {
    const { id, params } = req;
    switch (req.method) {
      case "userDataStream.subscribe.signature": {
        const denied = checkSignedSubscribe(params, creds.spot, Date.now());
        if (denied) return { id, ...denied };
        // One account, and Binance allows one subscription per account on a connection.
        if (s.active.size > 0)
          return { id, ...wsApiError(400, -2035, "User Data Stream subscription already active.") };
        const subscriptionId = s.nextSubscriptionId++;
        s.active.add(subscriptionId);
        return { id, status: 200, result: { subscriptionId } };
      }
      case "userDataStream.unsubscribe": {
        const wanted = params.subscriptionId;
        const ids = wanted === undefined ? [...s.active] : [Number(wanted)];
        if (!ids.every((n) => s.active.has(n))) {
          return { id, ...wsApiError(400, -2036, "User Data Stream subscription not active.") };
        }
        for (const n of ids) {
          s.active.delete(n);
          pushSpot(s, n, { e: "eventStreamTerminated", E: Date.now() });
        }
        return { id, status: 200, result: {} };
      }
      case "session.subscriptions":
        return { id, status: 200, result: [...s.active].map((subscriptionId) => ({ subscriptionId })) };
      case "ping":
        return { id, status: 200, result: {} };
      default:
        return { id, ...wsApiError(400, -1100, `fake Binance WebSocket API has no method '${req.method}'.`) };
    }
  }

  function open(session: Session): void {
    sessions.add(session);
    const { socket } = session;
    socket.on("close", () => sessions.delete(session));
    socket.on("error", () => socket.terminate());
    socket.on("ping", (data) => {
      if (!session.frozen) socket.pong(data);
    });
    if (session.kind !== "spot") return;
    socket.on("message", (data) => {
      if (session.frozen) return;
      const req = parseRequest(text(data));
      send(session, "method" in req ? request(session, req) : { id: null, ...req });
    });
  }

  /**
   * The listenKey a futures stream URL names: `/ws/<key>` or `/ws?listenKey=<key>`, either also
   * under `/private` (the route Binance moved user data to); undefined for any other path.
   */
  function keyOf(url: URL): string | undefined {
    const path = url.pathname.replace(/^\/private(?=\/)/, "");
    if (path === WS_STREAM_PATH) return url.searchParams.get("listenKey") ?? "";
    return path.startsWith(`${WS_STREAM_PATH}/`) ? path.slice(WS_STREAM_PATH.length + 1) : undefined;
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === WS_API_PATH) {
      wss.handleUpgrade(req, socket, head, (ws) =>
        open({ kind: "spot", socket: ws, frozen: false, active: new Set(), nextSubscriptionId: 0 }),
      );
      return;
    }
    const key = keyOf(url);
    if (key === undefined) {
      refuse(socket, 404, { code: -1, msg: `fake Binance has no ${url.pathname}` });
      return;
    }
    if (listenKey === undefined || key !== listenKey) {
      refuse(socket, 400, { code: -1125, msg: "This listenKey does not exist." });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) =>
      open({ kind: "futures", socket: ws, frozen: false, listenKey: key }),
    );
  }

  /** `/fapi/v1/listenKey` (API key only, not signed), or undefined for any other request. */
  function handle(method: string, url: URL, apiKey: string | undefined): Reply | undefined {
    if (url.pathname !== "/fapi/v1/listenKey" || creds.futures === undefined) return undefined;
    if (method !== "POST" && method !== "PUT" && method !== "DELETE") return undefined;
    if (apiKey !== creds.futures.apiKey) {
      return reject(-2015, "Invalid API-key, IP, or permissions for action.", 401);
    }
    switch (method) {
      case "POST":
        // An active key is returned again (and extended): one stream per account.
        listenKey ??= newListenKey();
        return { status: 200, body: { listenKey } };
      case "PUT":
        return listenKey === undefined ? NO_KEY() : { status: 200, body: { listenKey } };
      default: {
        for (const s of keySessions(listenKey)) s.socket.close(1000, "listenKey closed");
        listenKey = undefined;
        return { status: 200, body: {} };
      }
    }
  }

  const controls: FakeUserStreams = {
    connections: () => sessions.size,
    subscriptions: () => spotSessions().reduce((n, s) => n + s.active.size, 0),
    drop: () => {
      for (const s of sessions) s.socket.terminate();
    },
    mute: (on) => {
      muted = on;
    },
    freeze: () => {
      for (const s of sessions) s.frozen = true;
    },
    sent,
    expireListenKey: () => {
      if (listenKey === undefined) return;
      for (const s of keySessions(listenKey))
        pushFutures(s, { e: "listenKeyExpired", E: Date.now(), listenKey });
      listenKey = undefined;
    },
    listenKey: () => listenKey,
  };

  return {
    controls,
    upgrade,
    handle,
    /** Sends a spot order change to every active subscription. */
    spotChange(change: FakeOrderChange): void {
      const event = executionReport(change, Date.now());
      for (const s of spotSessions()) for (const n of s.active) pushSpot(s, n, event);
    },
    /** Sends a futures order change to the sockets of the active listenKey. */
    futuresChange(change: FakeFuturesOrderChange): void {
      const event = orderTradeUpdate(change, Date.now());
      for (const s of keySessions(listenKey)) pushFutures(s, event);
    },
    /** Sends a conditional (algo) order's change to the sockets of the active listenKey. */
    futuresAlgoChange(algo: FakeAlgoOrder): void {
      const event = algoUpdate(algo, Date.now());
      for (const s of keySessions(listenKey)) pushFutures(s, event);
    },
    close(): Promise<void> {
      for (const s of sessions) s.socket.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
